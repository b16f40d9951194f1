import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { archivePath, removeArchive } from '../../src/recording/archive.ts';
import type { RecordingKeys } from '../../src/recording/scripts.ts';
import { parseMeta } from '../../src/recording/session-index.ts';

/**
 * Retention: sessions that started more than `retentionMs` ago are deleted — their archive files,
 * their meta, their live stream if any, and their index entries — a bounded batch per call, so
 * the close worker can prune a little after every session it archives without ever stalling.
 * Date folders older than the retention (plus a day, for sessions that span midnight) are
 * removed whole, which also clears files whose index entry was lost.
 */

export interface RetentionDeps {
  redis: RedisConnection;
  keys: RecordingKeys;
  dir: string;
  retentionMs: number;
}

/** Deletes up to `limit` expired sessions; returns the ids deleted. */
export async function pruneExpired(
  deps: RetentionDeps,
  now: number = Date.now(),
  limit = 100,
): Promise<string[]> {
  const cutoff = now - deps.retentionMs;
  const ids = await deps.redis.zrangebyscore(deps.keys.byTime, '-inf', `(${cutoff}`, 'LIMIT', 0, limit);
  for (const id of ids) {
    const meta = parseMeta(await deps.redis.hgetall(deps.keys.meta(id)));
    if (meta) {
      await removeArchive(deps.dir, id, meta.archive ?? archivePath(id, meta.startedAt));
    }
    // Each index is a key of its own on a Redis Cluster, so they are cleared one by one: the ones
    // that need the meta to be found first, then the session's keys (one slot, one DEL), byTime
    // last, as it is what finds the session again if this is cut short.
    const indexes = meta
      ? [
          deps.keys.byAgent(meta.agent),
          deps.keys.byCluster(meta.cluster),
          ...['clean', 'denied', 'reviewed', 'error'].map((outcome) => deps.keys.byOutcome(outcome)),
        ]
      : [];
    await Promise.all(indexes.map((key) => deps.redis.zrem(key, id)));
    await deps.redis.del(deps.keys.meta(id), deps.keys.events(id), deps.keys.lines(id));
    await deps.redis.zrem(deps.keys.byTime, id);
  }
  await pruneDateFolders(deps.dir, cutoff - 86_400_000);
  return ids;
}

async function pruneDateFolders(dir: string, before: number): Promise<void> {
  const limit = new Date(before).toISOString().slice(0, 10);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => /^\d{4}-\d\d-\d\d$/.test(name) && name < limit)
      .map((name) => rm(join(dir, name), { recursive: true, force: true })),
  );
}
