import { Cluster } from 'ioredis';
import { type RedisConnection, redisUrlFromEnv } from '../../src/queues/connections.ts';

/**
 * The real Redis every Redis-backed test shares ($REDIS_URL, else 127.0.0.1:6379), and the
 * cleanup each test runs on its own key prefix, so tests never collide and leave Redis as they
 * found it.
 */
export const REDIS_URL = redisUrlFromEnv();

/** Deletes every key matching `pattern` (SCAN, never KEYS). */
export async function deleteKeys(redis: RedisConnection, pattern: string): Promise<void> {
  // A Redis Cluster: every master holds some of the keys, and one DEL may name one slot only.
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      if (redis instanceof Cluster) await Promise.all(keys.map((key) => node.unlink(key)));
      else await node.del(...keys);
    } while (cursor !== '0');
  }
}
