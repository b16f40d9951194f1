import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { CallerSnapshot } from '../../src/approvals/review.types.ts';
import type { EventBody } from '../../src/recording/event.types.ts';
import { genesisHash, sealEvent } from '../../src/recording/hash-chain.ts';
import {
  type RecordingKeys,
  type RecordingRedis,
  recordingKeys,
  withRecordingScripts,
} from '../../src/recording/scripts.ts';
import { newSessionId, type SessionIdentity } from './session-identity.ts';
import { RecordingUnavailableError, withRecordingRedis } from './unavailable-error.ts';

/**
 * The live side of recording: sessions in Redis, shared by every gateway replica.
 *
 * - {@link RecordingStore.resolve} maps a request's session identity to the open session (or
 *   opens one, writing its first event in the same script);
 * - {@link RecordingStore.append} seals an event on the chain's tail and adds it to the session's
 *   Redis Stream with a compare-and-set on the sequence number. Appends from one process to one
 *   session are queued, so they never race each other; replicas that race retry on the new tail,
 *   so two gateways serving one kubectl invocation produce one ordered chain.
 *
 * The mapping from identity to session expires after the idle gap (every append refreshes it),
 * so a caller's next request after a gap opens a new session even before the close job runs.
 * Every failure is a {@link RecordingUnavailableError} (503 when recording is required).
 */

export interface RecordingStoreOptions {
  /** A fail-fast request connection (queues/connections.ts); not closed here. */
  redis: Redis;
  /** Key prefix, e.g. `hoop:rec`. */
  prefix: string;
  idleGapMs: number;
  /** How long to wait for a (re)connecting Redis. Default 1000 ms. */
  readyTimeoutMs?: number;
  /** Names this gateway instance in events. Default `<hostname>:<pid>:<random>`. */
  replica?: string;
}

export interface OpenSessionInput {
  identity: SessionIdentity;
  caller: CallerSnapshot;
  cluster: string;
  userAgent?: string;
}

/** Counters (`incr`) and fields (`set`) to update in the session's meta with the append. */
export interface MetaUpdates {
  incr?: Record<string, number>;
  set?: Record<string, string>;
}

export type AppendOutcome = { kind: 'ok'; seq: number; hash: string } | { kind: 'closed' };

const MAX_ATTEMPTS = 32;
const MAX_CACHED_TAILS = 10_000;

/** Epoch ms with sub-millisecond precision, monotonic within this process. */
export function nowMs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

export class RecordingStore {
  readonly keys: RecordingKeys;
  readonly replica: string;
  readonly #redis: Redis;
  readonly #scripts: RecordingRedis;
  readonly #idleGapMs: number;
  readonly #readyMs: number;
  /** Last known tail per session, and the queue of appends in flight from this process. */
  readonly #tails = new Map<string, { seq: number; hash: string }>();
  readonly #queues = new Map<string, Promise<unknown>>();
  /**
   * Identity key → session id, with when this process last appended to it. While that is less
   * than the idle gap ago, the mapping in Redis cannot have expired and the session cannot have
   * closed (both need a full gap without an append), so resolving skips the round trip.
   */
  readonly #recent = new Map<string, { id: string; at: number }>();

  constructor(options: RecordingStoreOptions) {
    this.#redis = options.redis;
    this.#scripts = withRecordingScripts(options.redis);
    this.keys = recordingKeys(options.prefix);
    this.#idleGapMs = options.idleGapMs;
    this.#readyMs = options.readyTimeoutMs ?? 1000;
    this.replica = options.replica ?? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  }

  /** The open session for `input.identity`, opened (with its `session` event) if there is none. */
  async resolve(input: OpenSessionInput): Promise<{ id: string; created: boolean }> {
    const recent = this.#recent.get(input.identity.key);
    if (recent && performance.now() - recent.at < this.#idleGapMs * 0.9)
      return { id: recent.id, created: false };
    const candidate = newSessionId();
    const now = nowMs();
    const first: EventBody = {
      type: 'session',
      session: candidate,
      kind: input.identity.kind,
      caller: input.caller,
      cluster: input.cluster,
      ...(input.identity.command ? { command: input.identity.command } : {}),
      ...(input.userAgent ? { userAgent: input.userAgent.slice(0, 200) } : {}),
    };
    const sealed = sealEvent({
      ...first,
      v: 1,
      seq: 1,
      prev: genesisHash(candidate),
      ts: now,
      by: this.replica,
    });
    const fields: Record<string, string> = {
      kind: input.identity.kind,
      subject: input.caller.subject,
      issuer: input.caller.issuer,
      cluster: input.cluster,
    };
    if (input.identity.command) fields['command'] = input.identity.command;
    const { head } = await withRecordingRedis(this.#redis, this.#readyMs, () =>
      this.#scripts.hoopRecResolve(
        this.keys.mapping(input.identity.key),
        this.keys.byTime,
        this.keys.byAgent(input.caller.subject),
        this.keys.byCluster(input.cluster),
        candidate,
        this.keys.metaPrefix,
        this.#idleGapMs,
        Math.floor(now),
        JSON.stringify(fields),
        sealed.line,
        sealed.hash,
      ),
    );
    const [id, created] = head;
    if (!id) throw new RecordingUnavailableError('the session could not be resolved');
    if (created === '1') this.#remember(id, { seq: 1, hash: sealed.hash });
    this.#touch(input.identity.key, id);
    return { id, created: created === '1' };
  }

  /**
   * Appends one event to session `id` (whose identity maps through `identityKey`). Resolves with
   * the event's sequence number and hash, or `closed` when the session closed meanwhile (the
   * caller resolves again and records into the new session).
   */
  append(
    id: string,
    identityKey: string,
    body: EventBody,
    updates: MetaUpdates = {},
  ): Promise<AppendOutcome> {
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#appendNow(id, identityKey, body, updates));
    this.#queues.set(id, next);
    void next
      .finally(() => {
        if (this.#queues.get(id) === next) this.#queues.delete(id);
      })
      .catch(() => undefined);
    return next;
  }

  async #appendNow(
    id: string,
    identityKey: string,
    body: EventBody,
    updates: MetaUpdates,
  ): Promise<AppendOutcome> {
    let tail = this.#tails.get(id) ?? { seq: -1, hash: '' };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const ts = nowMs();
      const sealed = sealEvent({ ...body, v: 1, seq: tail.seq + 1, prev: tail.hash, ts, by: this.replica });
      const { head: reply } = await withRecordingRedis(this.#redis, this.#readyMs, () =>
        this.#scripts.hoopRecAppend(
          this.keys.meta(id),
          this.keys.events(id),
          this.keys.mapping(identityKey),
          tail.seq,
          sealed.line,
          sealed.hash,
          Math.floor(ts),
          this.#idleGapMs,
          id,
          JSON.stringify({ incr: updates.incr ?? {}, set: updates.set ?? {} }),
        ),
      );
      if (reply[0] === 'ok') {
        const appended = { seq: tail.seq + 1, hash: sealed.hash };
        this.#remember(id, appended);
        this.#touch(identityKey, id);
        return { kind: 'ok', ...appended };
      }
      if (reply[0] === 'closed') {
        this.#tails.delete(id);
        if (this.#recent.get(identityKey)?.id === id) this.#recent.delete(identityKey);
        return { kind: 'closed' };
      }
      tail = { seq: Number(reply[1]), hash: reply[2] ?? '' };
      // Another replica won the race: back off a random moment so the two do not collide in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * (attempt + 1)));
    }
    throw new RecordingUnavailableError('too many concurrent writers to one session');
  }

  #touch(identityKey: string, id: string): void {
    this.#recent.delete(identityKey);
    this.#recent.set(identityKey, { id, at: performance.now() });
    if (this.#recent.size > MAX_CACHED_TAILS) {
      const oldest = this.#recent.keys().next().value;
      if (oldest !== undefined) this.#recent.delete(oldest);
    }
  }

  #remember(id: string, tail: { seq: number; hash: string }): void {
    this.#tails.delete(id);
    this.#tails.set(id, tail);
    if (this.#tails.size > MAX_CACHED_TAILS) {
      const oldest = this.#tails.keys().next().value;
      if (oldest !== undefined) this.#tails.delete(oldest);
    }
  }

  /** Waits for this process's queued appends (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()]);
  }
}
