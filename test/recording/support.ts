import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingStore } from '../../gateway/recording/session-store.ts';
import type { CallerSnapshot } from '../../src/approvals/review.types.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';

/**
 * Shared set-up for the recording tests: a fresh key prefix per test against the real Redis, a
 * temporary archive directory, and a cleanup that deletes both, so tests never collide.
 */
export function freshPrefix(label: string): string {
  return `test:rec-${label}:${randomBytes(5).toString('hex')}`;
}

export const CALLER: CallerSnapshot = {
  issuer: 'https://issuer.test',
  subject: 'agent-1',
  groups: ['ai-agents'],
  claims: { repository: 'acme/payments' },
};

export interface RecordingHarness {
  prefix: string;
  redis: RedisConnection;
  store: RecordingStore;
  keys: ReturnType<typeof recordingKeys>;
  dir: string;
  cleanup(): Promise<void>;
}

export async function recordingHarness(label: string, idleGapMs = 60_000): Promise<RecordingHarness> {
  const prefix = freshPrefix(label);
  const redis = createRequestConnection({ url: REDIS_URL, commandTimeoutMs: 5000 });
  await whenReady(redis, 5000);
  const storePrefix = `${prefix}:rec`;
  const store = new RecordingStore({ redis, prefix: storePrefix, idleGapMs });
  const dir = await mkdtemp(join(tmpdir(), 'hoop-rec-'));
  return {
    prefix,
    redis,
    store,
    keys: recordingKeys(storePrefix),
    dir,
    async cleanup() {
      await store.drain();
      await deleteKeys(redis, `${prefix}:*`);
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Every key under `pattern` with its values as text (strings, hashes, streams, sorted sets). */
export async function dumpKeys(redis: RedisConnection, pattern: string): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'string') out.push(key, String(await redis.get(key)));
      else if (type === 'hash') out.push(key, JSON.stringify(await redis.hgetall(key)));
      else if (type === 'stream') out.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
      else if (type === 'zset') out.push(key, JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'list') out.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
      else out.push(key, type);
    }
  } while (cursor !== '0');
  return out.join('\n');
}
