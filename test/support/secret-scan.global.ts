/**
 * Vitest global setup of the end-to-end project: a directory where every test stack leaves its
 * evidence (secret-scan.ts), and, after the whole run, the scan: each secret value any stack's
 * cluster held and each token a stack issued is looked for — raw and base64 — in every stack's
 * gateway log, Redis keys and archive directory, and in the whole of Redis as the run left it.
 * One value found fails the run, naming where it was found (never the value itself).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { REDIS_URL } from './redis.ts';
import { dumpRedis } from './secret-scan.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

export default function setup(): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hoop-test-artifacts-'));
  process.env['HOOP_TEST_ARTIFACTS'] = dir;
  return async () => {
    try {
      const stacks = readdirSync(dir);
      const values = new Set<string>();
      for (const stack of stacks) {
        for (const value of JSON.parse(readFileSync(join(dir, stack, 'secrets.json'), 'utf8')) as string[])
          values.add(value);
      }
      const redis = createRequestConnection({ url: REDIS_URL });
      const places: Array<[string, string]> = [];
      try {
        await whenReady(redis, 5000);
        places.push(['Redis as the run left it', await dumpRedis(redis, '*')]);
      } finally {
        redis.disconnect();
      }
      for (const file of filesUnder(dir).filter((path) => !path.endsWith('secrets.json'))) {
        places.push([file.slice(dir.length + 1), readFileSync(file, 'latin1')]);
      }
      const needles = [...values].flatMap((value) => [value, Buffer.from(value).toString('base64')]);
      const found = places.flatMap(([where, text]) =>
        needles.filter((needle) => text.includes(needle)).map(() => where),
      );
      process.stdout.write(
        `secret scan: ${values.size} secret values and tokens from ${stacks.length} stacks, ` +
          `${places.length} logs, Redis dumps and archive files: ${found.length} found\n`,
      );
      if (found.length > 0) {
        throw new Error(`secret values were found after the run in: ${[...new Set(found)].join(', ')}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
