import { whenReady } from '../src/approvals/unavailable-error.ts';
import { keyPrefixField } from '../src/config/redis-fields.ts';
import { createRequestConnection } from '../src/queues/connections.ts';
import { UsageError } from './args.ts';

/**
 * The demo's Redis at start: every run gets a new in-memory cluster, so reviews, grants, queues
 * and sessions left by an earlier run describe objects that no longer exist (a pending review of
 * a namespace the new cluster has again, sessions a `sessions show` cannot match). The demo
 * therefore starts from an empty key prefix.
 *
 * Only keys under `<keyPrefix>:` are deleted (SCAN + UNLINK, never KEYS or FLUSHDB), so other
 * users of the same Redis, including another gateway or another demo with its own
 * `--key-prefix`, are left alone. The prefix is checked first ({@link demoKeyPrefix}): one with
 * Redis glob characters (`--key-prefix '*'`) would make the MATCH pattern reach every key.
 */

export type DemoRedisStart = { answered: true; deleted: number } | { answered: false };

/**
 * Deletes the keys under `keyPrefix` at `url`; `answered: false` when no Redis answers within two
 * seconds (the demo then warns and starts anyway).
 */
export async function clearDemoKeys(url: string, keyPrefix: string): Promise<DemoRedisStart> {
  demoKeyPrefix(keyPrefix);
  const redis = createRequestConnection({ url, name: 'hoop-demo-start', commandTimeoutMs: 5000 });
  try {
    try {
      await whenReady(redis, 2000);
    } catch {
      return { answered: false };
    }
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return { answered: true, deleted };
  } catch {
    return { answered: false };
  } finally {
    redis.disconnect();
  }
}

/**
 * `keyPrefix` when the configuration would accept it (src/config/redis-fields.ts: no glob
 * characters, no empty words); a UsageError naming `--key-prefix` otherwise.
 */
export function demoKeyPrefix(keyPrefix: string): string {
  const checked = keyPrefixField.safeParse(keyPrefix);
  if (!checked.success)
    throw new UsageError(
      `--key-prefix: ${JSON.stringify(keyPrefix)} is not a key prefix (${checked.error.issues[0]?.message ?? 'invalid'})`,
    );
  return keyPrefix;
}
