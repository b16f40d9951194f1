/**
 * Evidence for the after-run secret scan (secret-scan.global.ts): every test stack hands over, when
 * it closes, the secret values that existed in its cluster (every Secret the sandbox ever stored,
 * seeded or created by a test), the tokens it issued, and what the gateway kept — its log lines,
 * its Redis keys and its archive directory. The global teardown then looks for each value in all
 * of it and in whatever is left in Redis, and fails the run if one is found.
 *
 * Values shorter than `MIN_SCANNED_LENGTH` are not scanned: short Secret values such as a user name
 * equal to a pod's name appear legitimately in logs as names.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisConnection } from '../../src/queues/connections.ts';

export const MIN_SCANNED_LENGTH = 8;

/** Where stacks leave their evidence; set by the global setup, absent when a file runs alone. */
export function artifactsDir(): string | undefined {
  return process.env['HOOP_TEST_ARTIFACTS'] || undefined;
}

/** The values of one Secret object: data decoded from base64, and stringData as written. */
export function secretValues(object: unknown): string[] {
  if (!object || typeof object !== 'object') return [];
  const { data, stringData } = object as { data?: unknown; stringData?: unknown };
  const values: string[] = [];
  for (const [map, decode] of [
    [data, true],
    [stringData, false],
  ] as const) {
    if (!map || typeof map !== 'object') continue;
    for (const value of Object.values(map)) {
      if (typeof value !== 'string') continue;
      values.push(decode ? Buffer.from(value, 'base64').toString('utf8') : value);
    }
  }
  return values.filter((value) => value.length >= MIN_SCANNED_LENGTH);
}

/** Every value held under `pattern`, one per line, whatever the key's type. */
export async function dumpRedis(redis: RedisConnection, pattern: string): Promise<string> {
  const lines: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', '500');
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      const values =
        type === 'string'
          ? [(await redis.get(key)) ?? '']
          : type === 'hash'
            ? Object.entries(await redis.hgetall(key)).flat()
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, '0', '-1')
                  : type === 'stream'
                    ? (await redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields)
                    : [];
      lines.push(key, ...values);
    }
  } while (cursor !== '0');
  return lines.join('\n');
}

/** Writes one stack's evidence under the artifacts directory (a no-op without one). */
export async function leaveEvidence(
  name: string,
  evidence: { secrets: Iterable<string>; logLines: string[]; redisDump: string; dataDir: string },
): Promise<void> {
  const dir = artifactsDir();
  if (!dir) return;
  const own = join(dir, name);
  await mkdir(own, { recursive: true });
  await writeFile(join(own, 'secrets.json'), JSON.stringify([...new Set(evidence.secrets)]));
  await writeFile(join(own, 'gateway.log'), evidence.logLines.join(''));
  await writeFile(join(own, 'redis.txt'), evidence.redisDump);
  await cp(evidence.dataDir, join(own, 'data'), { recursive: true }).catch(() => undefined);
}
