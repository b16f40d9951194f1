import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import { DEFAULT_QUEUE_PREFIX, QUEUE_NAMES, sessionSummaryJobId } from '../src/queues/names.ts';

/**
 * The bench's keys in the shared Redis: each part's gateways write under a prefix of their own that
 * names the bench process (`hoop-bench-<pid>-<random>`), deleted when the part ends. A run that was
 * interrupted (Ctrl-C, a crash) cannot delete its keys; the next run deletes the keys of every bench
 * process that is no longer running, so they do not pile up.
 *
 * One thing lands outside that prefix: a recording gateway that closes a session queues its
 * summary for the chat bot on the notify queue, under the approvals' prefix (`hoop:notify`,
 * shared with a real bot on the same Redis). Those jobs are removed with the sessions' keys, and
 * the queue's own bookkeeping at the end of the run, when the run made the queue and nothing is
 * left on it ({@link dropNotifyQueueIfMade}); a queue a bot or anything else made is left alone.
 */
const PREFIX = 'hoop-bench-';
const OWNED = /^hoop-bench-(\d+)-/;

/** A fresh key prefix for one part of this run. */
export function benchKeyPrefix(): string {
  return `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key matching `pattern` (SCAN, never KEYS), and the summaries its sessions queued. */
export function deleteKeys(pattern: string): Promise<number> {
  return unlinkMatching(pattern, () => true);
}

/** Deletes the keys of earlier bench runs whose process is gone (or that predate the pid in the prefix). */
export function deleteOrphanedKeys(): Promise<number> {
  return unlinkMatching(`${PREFIX}*`, (key) => !isRunning(Number(OWNED.exec(key)?.[1] ?? 0)));
}

/** The recording's index of sessions by start time, under any bench prefix (`…:rec:idx:time`). */
const SESSION_INDEX = /:rec:idx:time$/;

/** Removes the session-summary jobs of the sessions in these indexes from the notify queue. */
async function removeSummaries(redis: Redis, indexes: readonly string[]): Promise<void> {
  const sessions = (await Promise.all(indexes.map((key) => redis.zrange(key, '0', '-1')))).flat();
  if (sessions.length === 0) return;
  await withNotifyQueue(redis, async (notify) => {
    for (const id of sessions) await notify.remove(sessionSummaryJobId(id));
  });
}

/** The chat bots' notify queue on `redis`, for `use`; the queue (not the connection) closed after. */
async function withNotifyQueue<T>(redis: Redis, use: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(QUEUE_NAMES.notify, { connection: redis, prefix: DEFAULT_QUEUE_PREFIX });
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}

/** A connection to the bench's Redis, for `use`; disconnected after. */
async function withRedis<T>(use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(redisUrlFromEnv(), { maxRetriesPerRequest: 1 });
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Whether the notify queue exists (its `meta` key: BullMQ writes it with the first job). */
export function notifyQueueExists(): Promise<boolean> {
  const meta = `${DEFAULT_QUEUE_PREFIX}:${QUEUE_NAMES.notify}:meta`;
  return withRedis(async (redis) => (await redis.exists(meta)) > 0);
}

/**
 * Removes the notify queue's keys when it did not exist before the run (`existedBefore`) and holds
 * no job now; true when it did.
 */
export function dropNotifyQueueIfMade(existedBefore: boolean): Promise<boolean> {
  if (existedBefore) return Promise.resolve(false);
  return withRedis((redis) =>
    withNotifyQueue(redis, async (queue) => {
      const counts = await queue.getJobCounts();
      if (Object.values(counts).some((n) => n > 0)) return false;
      await queue.obliterate();
      return true;
    }),
  );
}

/** Unlinks the keys matching `pattern` that `chosen` picks; how many it deleted. */
async function unlinkMatching(pattern: string, chosen: (key: string) => boolean): Promise<number> {
  return withRedis(async (redis) => {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const picked = keys.filter(chosen);
      await removeSummaries(
        redis,
        picked.filter((key) => SESSION_INDEX.test(key)),
      );
      if (picked.length > 0) deleted += await redis.unlink(...picked);
    } while (cursor !== '0');
    return deleted;
  });
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
