import type { RedisConnection } from '../../src/queues/connections.ts';
import { writeArchive } from '../../src/recording/archive.ts';
import type { RecordedEvent } from '../../src/recording/event.types.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import {
  type RecordingKeys,
  type RecordingRedis,
  withRecordingScripts,
} from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { type SessionFacts, sessionFacts, summaryText } from '../../src/recording/summary.ts';

/**
 * Closing one session, step by step, each step safe to repeat (a job retried after a crash):
 *
 * 1. the `close` script ends the session if it has been idle for the idle gap with nothing in
 *    flight — or says when to look again (the job is then re-delayed: that is the debounce);
 * 2. the live stream is read and archived as JSONL plus `.cast` files (atomic renames);
 * 3. the outcome indexes get the session; then the meta gets the final hash, event count,
 *    archive path, summary and outcomes and the live stream is deleted, in one script
 *    (finalize.lua; the session's keys share a slot on a Redis Cluster, the indexes do not, so
 *    they go first) — only if the session is still closed at the sequence number archived: a
 *    failover that lost the close leaves it open on the new primary, and the job fails and runs
 *    again rather than delete events the archive lacks.
 *
 * A chain that does not verify in Redis is archived all the same (deleting evidence would be
 * worse) and flagged in the meta (`chainError`), and `sessions verify` reports it.
 */

export interface CloseDeps {
  redis: RedisConnection;
  keys: RecordingKeys;
  dir: string;
  idleGapMs: number;
  /** A request in flight longer than this without any event is presumed lost. Default 24 h. */
  maxInflightMs?: number;
}

export type CloseOutcome =
  | { kind: 'wait'; dueAt: number }
  | { kind: 'gone' }
  | { kind: 'already-archived' }
  | {
      kind: 'archived';
      path: string;
      casts: string[];
      facts: SessionFacts;
      summary: string;
      chainError?: string;
    };

const scripted = new WeakMap<RedisConnection, RecordingRedis>();

function scriptsFor(redis: RedisConnection): RecordingRedis {
  let scripts = scripted.get(redis);
  if (!scripts) {
    scripts = withRecordingScripts(redis);
    scripted.set(redis, scripts);
  }
  return scripts;
}

export async function closeSession(
  deps: CloseDeps,
  id: string,
  now: number = Date.now(),
): Promise<CloseOutcome> {
  const { head: reply } = await scriptsFor(deps.redis).hoopRecClose(
    deps.keys.meta(id),
    now,
    deps.idleGapMs,
    deps.maxInflightMs ?? 86_400_000,
  );
  if (reply[0] === 'gone') return { kind: 'gone' };
  if (reply[0] === 'archived') return { kind: 'already-archived' };
  if (reply[0] === 'wait') return { kind: 'wait', dueAt: Number(reply[1]) };
  // Closed: detach the identity's mapping (another slot on a Redis Cluster, so a step of its own;
  // until it is gone, a request that finds the mapping sees a closed session and opens a new one).
  if (reply[3]) await scriptsFor(deps.redis).hoopRecReleaseMapping(reply[3], id);

  const index = new SessionIndex(deps.redis, deps.keys);
  const meta = await index.get(id);
  if (!meta) return { kind: 'gone' };
  const lines = await index.liveLines(id);
  const check = verifyChain(id, lines, { count: meta.seq, finalHash: meta.hash });
  const chainError = check.ok ? undefined : `line ${check.line}: ${check.reason}`;
  const events = lines.map((line) => JSON.parse(line) as RecordedEvent);
  const { path, casts } = await writeArchive(deps.dir, id, meta.startedAt, lines, events);
  const facts = sessionFacts(events);
  const summary = summaryText(facts);

  const finalHash = check.ok ? check.finalHash : meta.hash;
  // The outcome indexes first, then the session's own keys in one script (one slot): a crash in
  // between leaves the session unarchived in Redis, and the retried job does it all again.
  await Promise.all(
    facts.outcomes.map((outcome) => deps.redis.zadd(deps.keys.byOutcome(outcome), meta.startedAt, id)),
  );
  const { head: finalized } = await scriptsFor(deps.redis).hoopRecFinalize(
    deps.keys.meta(id),
    deps.keys.events(id),
    deps.keys.lines(id),
    String(meta.seq),
    ...Object.entries({
      finalHash,
      count: String(lines.length),
      archive: path,
      casts: casts.join(','),
      archivedAt: String(Date.now()),
      summary,
      outcomes: facts.outcomes.join(','),
      ...(chainError ? { chainError } : {}),
    }).flat(),
  );
  if (finalized[0] !== 'ok') {
    throw new Error(
      `session ${id} changed while it was archived (now ${finalized[1] || 'gone'} at seq ${finalized[2] || '-'}): closing again`,
    );
  }
  return { kind: 'archived', path, casts, facts, summary, ...(chainError ? { chainError } : {}) };
}
