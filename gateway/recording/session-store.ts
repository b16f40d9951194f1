import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
// Resolves once the I/O callbacks of the event loop's current turn have run.
import { setImmediate as endOfTurn } from 'node:timers/promises';
import type { CallerSnapshot } from '../../src/approvals/review.types.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { hasByteFrames, sealByteFrames } from '../../src/recording/byte-frames.ts';
import type { AppendableEvent, EventBody, StreamDataBytesEvent } from '../../src/recording/event.types.ts';
import { genesisHash, sealEvent, sealEventForSending } from '../../src/recording/hash-chain.ts';
import {
  type RecordingKeys,
  type RecordingRedis,
  recordingKeys,
  withRecordingScripts,
} from '../../src/recording/scripts.ts';
import { writtenKeyCommand } from '../../src/redis/written-command.ts';
import { BufferPool, lendFor } from './buffer-pool.ts';
import { RecentlyUsed } from './recently-used.ts';
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
 *   so two gateways serving one kubectl invocation produce one ordered chain, and the loser of a
 *   race appends next (append.lua's turns), so neither waits for the other to go quiet.
 *
 * The mapping from identity to session expires after the idle gap (every append refreshes it),
 * so a caller's next request after a gap opens a new session even before the close job runs.
 * Every failure is a {@link RecordingUnavailableError} (503 when recording is required).
 */

export interface RecordingStoreOptions {
  /** A fail-fast request connection (queues/connections.ts); not closed here. */
  redis: RedisConnection;
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
/**
 * How long a replica that lost a race keeps the next turn if it does not come back (append.lua):
 * it normally returns within a round trip; should it crash, the others wait at most this long.
 */
const TURN_MS = 200;
/** `wait` answers an append may get (1 ms apart) before it gives up: well beyond one turn. */
const MAX_WAITS = 1000;
/**
 * Lines longer than this (stream frames, large bodies) go to Redis as bytes: ioredis writes string
 * arguments as one concatenated string, which cost 1.1–1.9× the CPU of writing the same line
 * encoded once (measured with 32 KiB and 256 KiB frames); small lines are cheaper as strings.
 */
const LARGE_LINE = 16 * 1024;
/**
 * Buffers for a stream's append commands (up to 256 KiB of frames in base64, ~350 KB), reused from
 * one append to the next (buffer-pool.ts says why); a larger command moves to a buffer of its own,
 * and a small one (an interactive session's keystrokes) is served by Node's allocator, so a
 * thousand quiet sessions do not hold half a megabyte each while an append is in flight.
 */
export const COMMAND_BUFFERS = new BufferPool(512 * 1024, 8);

/** What a frame adds to its line besides its bytes in base64 (`,[<ms>,<channel>,"…"]`), at most. */
const FRAME_OVERHEAD = 48;
/** What an event's line holds besides its frames (its head, hash, type and stream), about. */
const EVENT_OVERHEAD = 512;
/** `$0\r\n\r\n$64\r\n<hash>\r\n`: the script's arguments for a line by reference, at most. */
const REFERENCE_ARGUMENTS = 80;

/**
 * A stream's frames of at least this many bytes in one event go to Redis by reference: their line
 * in the session's lines hash, sent beside the append script, the script handed only its hash
 * (append.lua says why). An interactive session's few bytes a frame stay in the script's call.
 */
export const BY_REFERENCE_BYTES = 8 * 1024;

/** Whether `body` is a stream's frames large enough to go by reference. */
function byReference(body: AppendableEvent): body is StreamDataBytesEvent {
  if (!hasByteFrames(body)) return false;
  let bytes = 0;
  for (const [, , frame] of body.frames) bytes += frame.length;
  return bytes >= BY_REFERENCE_BYTES;
}

/**
 * A buffer (pooled when it fits) for the lines of `batch` that go by reference (`referenced`) or
 * for its append command holding the others, to give back once Redis answered.
 */
function commandBuffer(
  batch: readonly PendingAppend[],
  referenced: boolean,
): { buffer: Buffer; giveBack: () => void } {
  let size = 1024;
  for (const { bodies } of batch) {
    for (const body of bodies) {
      if (byReference(body) !== referenced) {
        // In the script's call, a line by reference is an empty argument and the line's hash.
        if (!referenced) size += REFERENCE_ARGUMENTS;
        continue;
      }
      size += EVENT_OVERHEAD;
      if (!hasByteFrames(body)) continue;
      for (const [, , bytes] of body.frames) size += 4 * Math.ceil(bytes.length / 3) + FRAME_OVERHEAD;
    }
  }
  return lendFor(COMMAND_BUFFERS, size);
}
const MAX_RESOLVE_ATTEMPTS = 8;
const MAX_CACHED_TAILS = 10_000;

let lastNowMs = 0;

/**
 * Epoch ms with sub-millisecond precision, never going backwards within this process. It follows
 * the wall clock rather than the clock the process started with: after a step of the system clock
 * (NTP, a VM resumed from a snapshot) recordings are not stamped minutes away from the time the
 * session index, the console and `--since` compare them with. A step back holds the time until
 * the wall clock passes it again.
 */
export function nowMs(): number {
  const now = Math.round((Date.now() + (performance.now() % 1)) * 1000) / 1000;
  lastNowMs = Math.max(lastNowMs, now);
  return lastNowMs;
}

export class RecordingStore {
  readonly keys: RecordingKeys;
  readonly replica: string;
  readonly #redis: RedisConnection;
  readonly #scripts: RecordingRedis;
  readonly #idleGapMs: number;
  readonly #readyMs: number;
  /** Last known tail per session, and the queue of appends in flight from this process. */
  readonly #tails = new RecentlyUsed<{ seq: number; hash: string }>(MAX_CACHED_TAILS);
  readonly #queues = new Map<string, SessionQueue>();
  /**
   * Identity key → session id, with when this process last set the mapping's TTL in Redis (claimed
   * or refreshed it). While that is less than the idle gap ago, the mapping cannot have expired
   * and the session cannot have closed (both need a full gap without it), so resolving skips the
   * round trip. Appends refresh the mapping only once a quarter of the gap has passed since.
   */
  readonly #recent = new RecentlyUsed<{ id: string; at: number }>(MAX_CACHED_TAILS);

  constructor(options: RecordingStoreOptions) {
    this.#redis = options.redis;
    this.#scripts = withRecordingScripts(options.redis);
    this.keys = recordingKeys(options.prefix, { hashTag: options.redis.isCluster });
    this.#idleGapMs = options.idleGapMs;
    this.#readyMs = options.readyTimeoutMs ?? 1000;
    this.replica = options.replica ?? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  }

  /**
   * The open session for `input.identity`, opened (with its `session` event) if there is none.
   *
   * In steps, because the mapping and the session live in different slots on a Redis Cluster: read
   * the mapping; if it names an open session, that is the one. Otherwise index a new session, write
   * it (open.lua) and point the mapping at it only if the mapping still says what was read
   * (claim-mapping.lua). A replica that loses that race removes the session it wrote and joins the
   * winner's, so one kubectl invocation still gets one session across replicas.
   */
  async resolve(input: OpenSessionInput): Promise<{ id: string; created: boolean }> {
    const recent = this.recentSession(input.identity.key);
    if (recent) return { id: recent, created: false };
    const mapKey = this.keys.mapping(input.identity.key);
    for (let attempt = 0; attempt < MAX_RESOLVE_ATTEMPTS; attempt++) {
      const current = await this.#redisCall(() => this.#redis.get(mapKey));
      if (
        current &&
        (await this.#redisCall(() => this.#redis.hget(this.keys.meta(current), 'state'))) === 'open'
      ) {
        // Found, not refreshed: the first append refreshes the mapping, and until then the cache
        // does not vouch for it.
        this.#touch(input.identity.key, current, Number.NEGATIVE_INFINITY);
        return { id: current, created: false };
      }
      const opened = await this.#open(input, mapKey, current ?? '');
      if (opened) return { id: opened, created: true };
    }
    throw new RecordingUnavailableError('the session could not be resolved');
  }

  /** Opens a session and claims the mapping for it; undefined when another replica won the mapping. */
  async #open(input: OpenSessionInput, mapKey: string, expected: string): Promise<string | undefined> {
    const candidate = newSessionId();
    const now = nowMs();
    const startedAt = Math.floor(now);
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
    const indexes = [
      this.keys.byTime,
      this.keys.byAgent(input.caller.subject),
      this.keys.byCluster(input.cluster),
    ];
    // Indexed first: a session a crash leaves behind unclaimed is still found by retention.
    await this.#redisCall(() =>
      Promise.all(indexes.map((key) => this.#redis.zadd(key, startedAt, candidate))),
    );
    const { head: opened } = await this.#redisCall(() =>
      this.#scripts.hoopRecOpen(
        this.keys.meta(candidate),
        this.keys.events(candidate),
        candidate,
        startedAt,
        JSON.stringify(fields),
        mapKey,
        sealed.line,
        sealed.hash,
      ),
    );
    if (opened[0] !== 'created') return undefined; // an id collision (50 random bits): draw again
    const { head: claim } = await this.#redisCall(() =>
      this.#scripts.hoopRecClaimMapping(mapKey, expected, candidate, this.#idleGapMs),
    );
    if (claim[0] !== 'claimed') {
      await this.#redisCall(() =>
        Promise.all([
          this.#redis.del(this.keys.meta(candidate), this.keys.events(candidate)),
          ...indexes.map((key) => this.#redis.zrem(key, candidate)),
        ]),
      );
      return undefined;
    }
    this.#remember(candidate, { seq: 1, hash: sealed.hash });
    this.#touch(input.identity.key, candidate);
    return candidate;
  }

  #redisCall<T>(call: () => Promise<T>): Promise<T> {
    return withRecordingRedis(this.#redis, this.#readyMs, call);
  }

  /**
   * The session `identityKey` maps to, when this process appended to it recently enough that it
   * cannot have closed (see `#recent`); `resolve` needs no round trip then.
   */
  recentSession(identityKey: string): string | undefined {
    const recent = this.#recent.get(identityKey);
    return recent && performance.now() - recent.at < this.#idleGapMs * 0.9 ? recent.id : undefined;
  }

  /**
   * Appends one event to session `id` (whose identity maps through `identityKey`). Resolves with
   * the event's sequence number and hash, or `closed` when the session closed meanwhile (the
   * caller resolves again and records into the new session); resolves only once the event is in
   * Redis.
   *
   * Group commit: an append to a session with no append in flight from this process is sent at
   * once; appends that arrive while one is in flight wait for it and then go together, sealed in
   * arrival order on one chain, in one script call, with those made in the event loop's turn its
   * reply arrived in (requests read in that turn). So concurrent requests of one session cost
   * one Redis round trip per batch instead of one each, and the order within the session is the
   * order of the calls here.
   */
  append(
    id: string,
    identityKey: string,
    body: AppendableEvent,
    updates: MetaUpdates = {},
  ): Promise<AppendOutcome> {
    return this.appendAll(id, identityKey, [body], updates);
  }

  /**
   * Appends several events in order, all or none, in one script call (however many the batch
   * limits would allow otherwise): a stream's frames that waited while its last append was in
   * flight. Resolves with the last event's sequence number and hash.
   */
  appendAll(
    id: string,
    identityKey: string,
    bodies: readonly AppendableEvent[],
    updates: MetaUpdates = {},
  ): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      let queue = this.#queues.get(id);
      if (!queue) {
        queue = { waiting: [], running: undefined };
        this.#queues.set(id, queue);
      }
      queue.waiting.push({ identityKey, bodies, updates, resolve, reject });
      queue.wake?.();
      queue.running ??= this.#pump(id, queue);
    });
  }

  /**
   * Sends a session's waiting appends, a batch at a time, until none is left. A batch of stream
   * frames does not wait for the reply to the one before it when that one carried frames too: it
   * is sealed on the tail that batch will leave and sent behind it (at most `PIPELINE_DEPTH` in
   * flight), so Redis stores one while the next is sealed and sent, instead of the two taking
   * turns. Redis runs them in order, and each one's compare-and-set (sequence and hash) holds only
   * if everything before it was appended, so a batch is never appended after one that was not.
   */
  async #pump(id: string, queue: SessionQueue): Promise<void> {
    const flight: Flight[] = [];
    while (queue.waiting.length > 0 || flight.length > 0) {
      while (queue.waiting.length > 0 && mayGoNow(flight, queue.waiting[0]!)) {
        const batch = takeBatch(queue.waiting);
        const tail = flight.at(-1)?.end ?? this.#tails.get(id) ?? UNKNOWN_TAIL;
        flight.push(this.#send(id, batch, tail, mergeUpdates(batch)));
      }
      const first = flight[0]!;
      // While a frames batch is in flight, one arriving may go behind it: wake for that too.
      const arrival =
        flight.length < PIPELINE_DEPTH && first.frames
          ? new Promise<void>((resolve) => {
              queue.wake = resolve;
            })
          : undefined;
      const settled = await (arrival ? Promise.race([first.settled, arrival]) : first.settled);
      queue.wake = undefined;
      if (settled === undefined) continue;
      flight.shift();
      if (settled.kind === 'ok' || settled.kind === 'closed') {
        this.#resolveBatch(first.batch, settled);
        // Requests read in this turn of the event loop queue their events after the reply's
        // callback: waiting for the turn's end sends them in this batch, not one each after it.
        if (!first.frames && flight.length === 0 && queue.waiting.length > 0) await endOfTurn();
        continue;
      }
      // Not appended: nor will be those sealed behind it. Once every reply is in, each goes
      // again, in order, on the tail Redis has then.
      const behind = flight.splice(0);
      const replies = await Promise.all(behind.map((f) => f.settled));
      if (settled.kind === 'error') {
        for (const item of first.batch) item.reject(settled.error);
        // An earlier send's fate is unknown: nothing behind it is sent again on top of it.
        behind.forEach((f, i) => {
          const reply = replies[i]!;
          if (reply.kind === 'ok') this.#resolveBatch(f.batch, reply);
          else for (const item of f.batch) item.reject(settled.error);
        });
        continue;
      }
      await this.#retry(id, first.batch, first.updates, settled);
      for (const f of behind) {
        const again = this.#send(id, f.batch, this.#tails.get(id) ?? UNKNOWN_TAIL, f.updates);
        await this.#retry(id, f.batch, f.updates, await again.settled);
      }
    }
    queue.running = undefined;
    if (this.#queues.get(id) === queue && !this.#tails.has(id)) this.#queues.delete(id);
  }

  /** Settles a batch's callers with its outcome (`ok`: each append's place on the chain). */
  #resolveBatch(batch: readonly PendingAppend[], outcome: Extract<Attempt, { kind: 'ok' | 'closed' }>): void {
    for (let i = 0; i < batch.length; i++)
      batch[i]!.resolve(outcome.kind === 'ok' ? { kind: 'ok', ...outcome.appended[i]! } : { kind: 'closed' });
  }

  /**
   * Tries a batch again after `last`, its attempt that was not appended, until it is (or the
   * session closed), then settles its callers: the loser of a race with another replica holds
   * the next turn and goes again at once; `wait` (another replica holds it) tries again in a
   * millisecond; a lost race with the turn elsewhere backs off a random moment.
   */
  async #retry(id: string, batch: readonly PendingAppend[], updates: string, last: Attempt): Promise<void> {
    let attempt = last;
    let conflicts = 1;
    let waits = 0;
    while (attempt.kind === 'conflict' || attempt.kind === 'wait') {
      if (attempt.kind === 'wait') {
        // Another replica lost the last race and appends next: not a lost race of this one's.
        if (++waits > MAX_WAITS) break;
        await new Promise((resolve) => setTimeout(resolve, 1));
      } else {
        if (conflicts >= MAX_ATTEMPTS) break;
        // Lost the race, and a third replica holds the next turn: back off a random moment.
        if (!attempt.turn) await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * conflicts));
        conflicts += 1;
      }
      attempt = await this.#send(id, batch, attempt.tail, updates).settled;
    }
    if (attempt.kind === 'ok' || attempt.kind === 'closed') return this.#resolveBatch(batch, attempt);
    const error =
      attempt.kind === 'error'
        ? attempt.error
        : new RecordingUnavailableError('too many concurrent writers to one session');
    for (const item of batch) item.reject(error);
  }

  /**
   * Seals `batch` on `tail` and sends it in one script call: where the batch leaves the chain
   * (known at once, for a batch sent behind it) and what Redis answered. Never rejects.
   */
  #send(id: string, batch: readonly PendingAppend[], tail: ChainTail, updates: string): Flight {
    try {
      return this.#sealAndSend(id, batch, tail, updates);
    } catch (error) {
      // Sealing failed (nothing was sent): the batch's callers get the error, the pump goes on.
      return { batch, updates, frames: false, end: tail, settled: Promise.resolve({ kind: 'error', error }) };
    }
  }

  #sealAndSend(id: string, batch: readonly PendingAppend[], tail: ChainTail, updates: string): Flight {
    const identityKey = batch[0]!.identityKey;
    const frames = batch.some(({ bodies }) => bodies.some(hasByteFrames));
    const count = batch.reduce((sum, { bodies }) => sum + bodies.length, 0);
    // Each event's time (never going back), taken before sealing: the script's `now`, the last
    // of them, comes before the lines in the command.
    const stamps = Array.from({ length: count }, () => nowMs());
    const ts = stamps[count - 1] ?? nowMs();
    const keys = [this.keys.meta(id), this.keys.events(id), this.keys.turn(id), this.keys.lines(id)];
    const head = [tail.seq, Math.floor(ts), updates, this.replica, TURN_MS, tail.hash] as const;
    // A stream's batch is written as the command itself, into a pooled buffer: its lines are
    // sealed in place (resp-writer.ts says why). The proxy path's small events go as arguments.
    const command = frames ? commandBuffer(batch, false) : undefined;
    const call = command
      ? this.#scripts.written.hoopRecAppend(keys, head.length + 2 * count, command.buffer)
      : undefined;
    // The large lines' HSET, written in place too: a field (the line's hash) and a line each.
    const referenced = frames
      ? batch.reduce((sum, { bodies }) => sum + bodies.filter(byReference).length, 0)
      : 0;
    const linesBuffer = referenced > 0 ? commandBuffer(batch, true) : undefined;
    const lines = linesBuffer
      ? writtenKeyCommand(this.#redis, 'hset', this.keys.lines(id), 2 * referenced, linesBuffer.buffer)
      : undefined;
    const args: Array<string | number | Buffer> = [];
    if (call) for (const value of head) call.writer.string(value);
    // Per waiting append, its last event's place on the chain.
    const appended: ChainTail[] = [];
    let seq = tail.seq;
    let prev = tail.hash;
    for (const { bodies } of batch) {
      for (const body of bodies) {
        const event = { ...body, v: 1, seq: seq + 1, prev, ts: stamps[seq - tail.seq]!, by: this.replica };
        seq += 1;
        if (call && lines && byReference(event)) {
          const field = lines.writer.placeholder(64);
          prev = sealByteFrames(event, (size) => lines.writer.reserve(size)).hash;
          lines.writer.fill(field, prev);
          call.writer.string('');
        } else if (call && hasByteFrames(event)) {
          prev = sealByteFrames(event, (size) => call.writer.reserve(size)).hash;
        } else {
          const sealed = sealEventForSending(event, LARGE_LINE);
          prev = sealed.hash;
          if (!call) args.push(sealed.line, sealed.hash);
          else if (typeof sealed.line === 'string') call.writer.string(sealed.line);
          else call.writer.bytes(sealed.line);
        }
        call?.writer.string(prev);
      }
      appended.push({ seq, hash: prev });
    }
    const end = { seq, hash: prev };
    // The mapping is refreshed beside the script, not inside it (on a Redis Cluster it lives in
    // another slot), sent with it so it costs no round trip, and only every quarter gap.
    const refresh = this.#mappingDue(identityKey, id);
    const settled = this.#redisCall(() => {
      // Sent before the script on the same connection, so Redis has run it when the script runs;
      // its outcome is the script's to check (a line not there, and the append adds nothing).
      lines?.send().catch(() => undefined);
      return Promise.all([
        call ? call.send() : this.#scripts.hoopRecAppend(...keys, ...head, ...args),
        refresh
          ? this.#scripts.hoopRecTouchMapping(this.keys.mapping(identityKey), id, this.#idleGapMs)
          : undefined,
      ]);
    }).then(
      ([{ head: reply }, touched]): Attempt => {
        // Redis answered the script, so it has read the command: its buffer may carry the next.
        // (After a failure ioredis may still hold it, to send again; it is left to the collector.)
        command?.giveBack();
        linesBuffer?.giveBack();
        // Not appended, and no other replica's doing: the frames' line did not reach Redis.
        if (reply[0] === 'missing') {
          return { kind: 'error', error: new RecordingUnavailableError("a stream's frames were not stored") };
        }
        // A conflict whose tail is this batch's own last event: Redis took an earlier send of this
        // very call (its reply lost to a timeout, the call retried through an outage); sealing the
        // events again on that tail would record them twice.
        const ours = reply[0] === 'conflict' && Number(reply[1]) === end.seq && reply[2] === end.hash;
        if (reply[0] === 'ok' || ours) {
          // The conflict claimed the next turn for appends already made: give it back at once.
          if (ours && reply[3] === '1') void this.#redis.del(this.keys.turn(id)).catch(() => undefined);
          this.#remember(id, end);
          if (touched?.head[0] === 'ok') this.#touch(identityKey, id);
          return { kind: 'ok', appended };
        }
        if (reply[0] === 'closed') {
          this.#forgetTail(id);
          if (this.#recent.get(identityKey)?.id === id) this.#recent.delete(identityKey);
          return { kind: 'closed' };
        }
        const current = { seq: Number(reply[1]), hash: reply[2] ?? '' };
        return reply[0] === 'wait'
          ? { kind: 'wait', tail: current }
          : { kind: 'conflict', tail: current, turn: reply[3] === '1' };
      },
      (error: unknown): Attempt => ({ kind: 'error', error }),
    );
    return { batch, updates, frames, end, settled };
  }

  /** Whether the mapping's TTL is to be refreshed with this append (a quarter gap since, or never). */
  #mappingDue(identityKey: string, id: string): boolean {
    const recent = this.#recent.get(identityKey);
    return recent?.id !== id || performance.now() - recent.at >= this.#idleGapMs / 4;
  }

  /** Remembers that the mapping names `id` with a full gap's TTL from `at` (default: now). */
  #touch(identityKey: string, id: string, at = performance.now()): void {
    const recent = this.#recent.newest(identityKey);
    if (recent) {
      recent.id = id;
      recent.at = at;
    } else {
      this.#recent.set(identityKey, { id, at });
    }
  }

  #remember(id: string, tail: ChainTail): void {
    const cached = this.#tails.newest(id);
    if (cached) {
      // Replies retried through an outage may settle out of order: keep the furthest tail.
      if (cached.seq > tail.seq) return;
      cached.seq = tail.seq;
      cached.hash = tail.hash;
      return;
    }
    const evicted = this.#tails.set(id, { ...tail });
    if (evicted !== undefined) this.#dropIdleQueue(evicted);
  }

  /** Drops a session's cached tail, and its queue when nothing is in it. */
  #forgetTail(id: string): void {
    this.#tails.delete(id);
    this.#dropIdleQueue(id);
  }

  /**
   * A session's queue stays in `#queues` while its tail is cached, rather than being removed and
   * re-created with every batch (the churn `RecentlyUsed` avoids); it goes with the tail.
   */
  #dropIdleQueue(id: string): void {
    const queue = this.#queues.get(id);
    if (queue && !queue.running && queue.waiting.length === 0) this.#queues.delete(id);
  }

  /** Waits for this process's queued appends (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#queues.values()].map((queue) => queue.running));
  }
}

interface PendingAppend {
  identityKey: string;
  /** Appended together, in order, in one script call. */
  bodies: readonly AppendableEvent[];
  updates: MetaUpdates;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/** One session's appends from this process: those waiting, and the pump sending them. */
interface SessionQueue {
  waiting: PendingAppend[];
  running: Promise<void> | undefined;
  /** Set while the pump could send one more behind a batch in flight: an arrival wakes it. */
  wake?: (() => void) | undefined;
}

/** A place on a session's chain: the last event's sequence number and hash. */
interface ChainTail {
  seq: number;
  hash: string;
}

/** What became of one send of a batch (never a rejection: `error` holds a failed call's error). */
type Attempt =
  | { kind: 'ok'; appended: ChainTail[] }
  | { kind: 'closed' }
  | { kind: 'conflict'; tail: ChainTail; turn: boolean }
  | { kind: 'wait'; tail: ChainTail }
  | { kind: 'error'; error: unknown };

/** A batch sent and not yet settled. */
interface Flight {
  batch: readonly PendingAppend[];
  updates: string;
  /** Whether it carries stream frames (only those are sent behind one another). */
  frames: boolean;
  /** Where the chain ends once it is appended. */
  end: ChainTail;
  settled: Promise<Attempt>;
}

/** No tail known here: the first send conflicts and learns the session's. */
const UNKNOWN_TAIL: ChainTail = { seq: -1, hash: '' };

/**
 * Batches of stream frames in flight at once to one session from this process. Two let Redis
 * store one while the next is sealed and sent; more gained nothing measurable (see
 * docs/performance.md, twenty-ninth round).
 */
const PIPELINE_DEPTH = 2;

/** Whether the first waiting append may be sent now: nothing in flight, or frames behind frames. */
function mayGoNow(flight: readonly Flight[], next: PendingAppend): boolean {
  if (flight.length === 0) return true;
  return flight.length < PIPELINE_DEPTH && flight.every((f) => f.frames) && next.bodies.some(hasByteFrames);
}

/** At most this many events, or about this many bytes of event bodies, in one script call. */
const MAX_BATCH_EVENTS = 64;
const MAX_BATCH_BYTES = 1024 * 1024;

/**
 * Takes the next batch off the front of `waiting`: in order, all with the first one's identity
 * key (the mapping the script refreshes), bounded in events and roughly in size (at least one
 * waiting append, whatever its size).
 */
function takeBatch(waiting: PendingAppend[]): PendingAppend[] {
  const key = waiting[0]!.identityKey;
  let n = 0;
  let events = 0;
  let bytes = 0;
  while (n < waiting.length && waiting[n]!.identityKey === key) {
    const bodies = waiting[n]!.bodies;
    events += bodies.length;
    for (const body of bodies) bytes += approximateSize(body);
    if (n > 0 && (events > MAX_BATCH_EVENTS || bytes > MAX_BATCH_BYTES)) break;
    n++;
  }
  return waiting.splice(0, n);
}

/** Roughly how large an event's line is: its recorded body or stream frames dominate. */
function approximateSize(body: AppendableEvent): number {
  const event = body as {
    body?: { size?: number };
    frames?: ReadonlyArray<readonly [number, number, { length: number }]>;
  };
  let size = 512 + (event.body?.size ?? 0);
  for (const frame of event.frames ?? []) size += frame[2].length;
  return size;
}

/** The batch's meta updates as one: counters summed (zero sums left out), fields last-wins. */
function mergeUpdates(batch: readonly PendingAppend[]): string {
  if (batch.length === 1) {
    const { incr, set } = batch[0]!.updates;
    if (!incr && !set) return '';
    return JSON.stringify({ incr: incr ?? {}, set: set ?? {} });
  }
  const incr: Record<string, number> = {};
  const set: Record<string, string> = {};
  let any = false;
  for (const { updates } of batch) {
    for (const [field, delta] of Object.entries(updates.incr ?? {})) incr[field] = (incr[field] ?? 0) + delta;
    for (const [field, value] of Object.entries(updates.set ?? {})) {
      set[field] = value;
      any = true;
    }
  }
  for (const [field, delta] of Object.entries(incr)) {
    if (delta === 0) delete incr[field];
    else any = true;
  }
  return any ? JSON.stringify({ incr, set }) : '';
}
