import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisUrlFromEnv } from '../src/queues/connections.ts';

/**
 * The bench's keys in the shared Redis: each part's gateways write under a prefix of their own that
 * names the bench process (`hoop-bench-<pid>-<random>`), deleted when the part ends. A run that was
 * interrupted (Ctrl-C, a crash) cannot delete its keys; the next run deletes the keys of every bench
 * process that is no longer running, so they do not pile up.
 */
const PREFIX = 'hoop-bench-';
const OWNED = /^hoop-bench-(\d+)-/;

/** A fresh key prefix for one part of this run. */
export function benchKeyPrefix(): string {
  return `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key matching `pattern` (SCAN, never KEYS). */
export function deleteKeys(pattern: string): Promise<number> {
  return unlinkMatching(pattern, () => true);
}

/** Deletes the keys of earlier bench runs whose process is gone (or that predate the pid in the prefix). */
export function deleteOrphanedKeys(): Promise<number> {
  return unlinkMatching(`${PREFIX}*`, (key) => !isRunning(Number(OWNED.exec(key)?.[1] ?? 0)));
}

/** Unlinks the keys matching `pattern` that `chosen` picks; how many it deleted. */
async function unlinkMatching(pattern: string, chosen: (key: string) => boolean): Promise<number> {
  const redis = new Redis(redisUrlFromEnv(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const picked = keys.filter(chosen);
      if (picked.length > 0) deleted += await redis.unlink(...picked);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

function isRunning(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
