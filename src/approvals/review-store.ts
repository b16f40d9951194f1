import type { RedisConnection } from '../queues/connections.ts';
import type { ReplicationOptions } from '../redis/replication.ts';
import type { ScriptReply } from '../redis/script-reply.ts';
import { authorizeDecision } from './authorize.ts';
import { DEFAULT_CLAIM_ALLOWLIST } from './caller-snapshot.ts';
import { windowScope } from './fingerprint.ts';
import { type ApprovalKeys, approvalKeys, isReviewId, newReviewId } from './keys.ts';
import { type ListOptions, listReviews } from './list-reviews.ts';
import { confirmReplicated, replicateQuietly } from './replicated-write.ts';
import type { DecideInput, DecideOutcome, DecideResult, HistoryEvent, Review } from './review.types.ts';
import {
  decisionRecord,
  decodeReview,
  encodeData,
  encodeDecision,
  grantUsable,
  mustDecode,
  reviewData,
} from './review-codec.ts';
import { type ReviewEventListener, ReviewEvents } from './review-events.ts';
import type {
  CancelOutcome,
  CancelResult,
  ConsumeOutcome,
  ConsumeResult,
  ExpireOutcome,
  ExpireResult,
  OpenReviewInput,
  ReviewStoreOptions,
} from './review-store.types.ts';
import { type ScriptedRedis, withApprovalScripts } from './scripts.ts';
import type { DecisionSigner } from './signing/decision-keys.ts';
import { signDecision } from './signing/decision-proof.ts';
import { ApprovalsUnavailableError, withRedis } from './unavailable-error.ts';
import { type WaitOptions, type WaitResult, waitForDecision } from './wait-for-decision.ts';

const FINGERPRINT = /^[0-9a-f]{64}$/;
const ID_ATTEMPTS = 5;

/** The keys a review's record names as its own (its fingerprint index and window key). */
interface OwnedKeys {
  fpKey: string;
  windowKey: string;
}

/**
 * The approvals engine: review records in Redis and every transition on them. No HTTP and no
 * chat here; the gateway holds requests with it and the bot decides with it.
 *
 * How the gateway is meant to use it for a request the policy sends to review:
 * 1. `consume(fp)` — `consumed` or `window-valid`: forward the request.
 * 2. `findWindowGrant(identity, cluster, rule.name)` — a window covers it: forward.
 * 3. `findOrCreate(…)` — the review this request belongs to (a retry joins the first attempt's).
 *    Enqueue notify/expire for a pending review (idempotent by job id, so do it every time).
 *    `approved` → back to 1; `rejected`/`expired`/`cancelled` → answer with the verdict.
 * 4. `waitForDecision(id, { timeoutMs: holdSeconds * 1000 })` — `approved` → back to 1 (another
 *    identical request may win a `once` grant; the loser opens a new review); `pending` → 429.
 * Every method rejects with `ApprovalsUnavailableError` (a 503 StatusError) when Redis is down.
 */
export class ReviewStore {
  readonly keys: ApprovalKeys;
  readonly events: ReviewEvents;
  readonly #redis: RedisConnection;
  readonly #scripts: ScriptedRedis;
  readonly #allowlist: readonly string[];
  readonly #lingerMs: number;
  readonly #onceMs: number;
  readonly #retentionMs: number;
  readonly #readyMs: number;
  readonly #signer: DecisionSigner | undefined;
  readonly #replication: ReplicationOptions | undefined;
  /**
   * The held calls' listeners for a lost connection. The store keeps one `close` listener on the
   * connection for all of them: with one each, Node warned of a leak on the gateway's stderr as
   * soon as more calls were held than the connection's listener limit (ten, a few more where BullMQ
   * shares the connection).
   */
  readonly #connectionLost = new Set<{ listener: () => void }>();
  readonly #connectionClosed = (): void => {
    for (const entry of [...this.#connectionLost]) entry.listener();
  };

  constructor(options: ReviewStoreOptions) {
    this.keys = approvalKeys(options.prefix ?? 'hoop:approvals', { hashTag: options.connection.isCluster });
    this.#redis = options.connection;
    this.#scripts = withApprovalScripts(options.connection);
    this.#allowlist = options.claimAllowlist ?? DEFAULT_CLAIM_ALLOWLIST;
    this.#lingerMs = (options.verdictLingerSeconds ?? 60) * 1000;
    this.#onceMs = (options.onceGrantSeconds ?? 600) * 1000;
    this.#retentionMs = (options.retentionSeconds ?? 7 * 86_400) * 1000;
    this.#readyMs = options.readyTimeoutMs ?? 1000;
    this.#signer = options.signer;
    this.#replication = options.replication;
    this.events = new ReviewEvents(options.connection, options.channel ?? this.keys.events, this.#readyMs);
  }

  /** The open review for `input.fingerprint`, or a new pending one; atomic across replicas. */
  async findOrCreate(input: OpenReviewInput): Promise<{ review: Review; created: boolean }> {
    if (!FINGERPRINT.test(input.fingerprint)) throw new TypeError('fingerprint must be a SHA-256 hex digest');
    const now = input.now ?? Date.now();
    const { caller, cluster, rule } = input;
    const data = encodeData(reviewData(input, this.#allowlist));
    const windowKey = this.keys.window(windowScope(caller, cluster, rule.name));
    const fpKey = this.keys.fingerprint(input.fingerprint);
    let indexed = await this.#run(() => this.#redis.get(fpKey));
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const id = newReviewId();
      const { head, fields } = await this.#run(() =>
        this.#scripts.hoopApprovalsCreate(
          fpKey,
          this.keys.review(indexed ?? id),
          this.keys.review(id),
          this.keys.pending,
          this.keys.reviews,
          id,
          data,
          input.fingerprint,
          now + rule.timeoutSeconds * 1000,
          rule.minApprovals,
          now,
          this.#lingerMs,
          this.#retentionMs,
          this.events.channel,
          indexed ?? '',
          windowKey,
        ),
      );
      if (head[0] === 'collision') continue;
      if (head[0] === 'moved') {
        // Another replica changed the index between our read and the script: go again on its value.
        indexed = head[1] || null;
        continue;
      }
      const review = mustDecode(fields);
      if (head[0] === 'created') await this.#replicate(this.keys.review(id));
      return { review, created: head[0] === 'created' };
    }
    throw new Error(`no free review id after ${ID_ATTEMPTS} attempts`);
  }

  /**
   * One approver's decision; see {@link DecideOutcome}. Authorization runs before the script,
   * except for `trusted` decisions the gateway itself makes (a policy's `autoApprove` groups).
   * With a signer (options) the decision is signed, bound to the record's id, fingerprint and
   * window scope; without one it is recorded unsigned, and no gateway forwards on it.
   */
  async decide(id: string, input: DecideInput, options: { trusted?: boolean } = {}): Promise<DecideResult> {
    if (input.action !== 'approve' && input.action !== 'reject')
      throw new TypeError('action must be approve or reject');
    const loaded = await this.#load(id);
    if (!loaded) return { outcome: 'not-found' };
    const { review: current, owned } = loaded;
    const auth = options.trusted ? { allowed: true as const } : authorizeDecision(current, input);
    if (!auth.allowed) return { outcome: 'not-allowed', review: current, reason: auth.reason };
    const now = input.now ?? Date.now();
    const windowSeconds = input.action === 'approve' ? (input.windowSeconds ?? 0) : 0;
    const unsigned = decisionRecord(input, now);
    const binding = {
      reviewId: current.id,
      fingerprint: current.fingerprint,
      scope: windowScope(current.caller, current.cluster, current.rule.name),
    };
    const decision = this.#signer ? signDecision(unsigned, binding, this.#signer) : unsigned;
    const { head, fields } = await this.#run(() =>
      this.#scripts.hoopApprovalsDecide(
        this.keys.review(id),
        this.keys.pending,
        owned.fpKey,
        owned.windowKey,
        input.approver.id,
        input.action,
        encodeDecision(decision),
        windowSeconds,
        now,
        this.#lingerMs,
        this.#onceMs,
        this.#retentionMs,
        this.events.channel,
      ),
    );
    if (head[0] === 'moved') return { outcome: 'not-found' };
    if (head[0] === 'applied' || head[0] === 'counted') await this.#durable(this.keys.review(id), 'decision');
    const result: DecideResult = { outcome: head[0] as DecideOutcome };
    const review = decodeReview(fields);
    if (review) result.review = review;
    if (head[1]) result.decidedBy = head[1];
    return result;
  }

  /**
   * Lets a request through on its fingerprint's approval: claims a `once` grant (exactly one
   * caller wins, however many race) or confirms a window grant.
   */
  async consume(fingerprint: string, now: number = Date.now()): Promise<ConsumeResult> {
    if (!FINGERPRINT.test(fingerprint)) return { outcome: 'none' };
    const fpKey = this.keys.fingerprint(fingerprint);
    let id = await this.#run(() => this.#redis.get(fpKey));
    for (let attempt = 0; id && attempt < ID_ATTEMPTS; attempt++) {
      const indexed = id;
      const { head, fields } = await this.#run(() =>
        this.#scripts.hoopApprovalsConsume(fpKey, this.keys.review(indexed), now, indexed),
      );
      if (head[0] === 'moved') {
        id = head[1] || null;
        continue;
      }
      // A once grant is used only when a replica has its consumption: after a failover the new
      // primary must not offer it again (a second execution of an approved request).
      if (head[0] === 'consumed') await this.#durable(this.keys.review(indexed), 'use of the approval');
      const review = decodeReview(fields);
      return { outcome: head[0] as ConsumeOutcome, ...(review ? { review } : {}) };
    }
    if (id)
      throw new ApprovalsUnavailableError('the approval index kept changing; too many concurrent requests');
    return { outcome: 'none' };
  }

  /** The approved review whose window covers this identity, cluster and rule at `now`, if any. */
  async findWindowGrant(
    identity: { issuer: string; subject: string },
    cluster: string,
    ruleName: string,
    now: number = Date.now(),
  ): Promise<Review | undefined> {
    const key = this.keys.window(windowScope(identity, cluster, ruleName));
    const id = await this.#run(() => this.#redis.get(key));
    const review = id ? await this.get(id) : undefined;
    return review?.grant?.kind === 'window' && grantUsable(review, now) ? review : undefined;
  }

  /**
   * The review a request with this fingerprint would join right now (pending, or final and still
   * lingering), if any: lets the gateway skip work only a new review needs (its impact preview).
   */
  async openFor(fingerprint: string): Promise<Review | undefined> {
    if (!FINGERPRINT.test(fingerprint)) return undefined;
    const id = await this.#run(() => this.#redis.get(this.keys.fingerprint(fingerprint)));
    return id ? this.get(id) : undefined;
  }

  /** The review, or `undefined` (also for anything not shaped like a review id). */
  async get(id: string): Promise<Review | undefined> {
    if (!isReviewId(id)) return undefined;
    return decodeReview(await this.#run(() => this.#redis.hgetall(this.keys.review(id))));
  }

  /**
   * How many reviews are pending with their deadline still ahead: one ZCOUNT on the pending index
   * (for the `hoop_reviews_pending` gauge, read at scrape time).
   */
  countPending(now: number = Date.now()): Promise<number> {
    return this.#run(() => this.#redis.zcount(this.keys.pending, now, '+inf'));
  }

  /** Appends an audit event to the review's history (kept as long as records are). */
  async appendHistory(id: string, event: Omit<HistoryEvent, 'at'> & { at?: number }): Promise<void> {
    if (!isReviewId(id)) return;
    const entry: HistoryEvent = { at: event.at ?? Date.now(), kind: event.kind, by: event.by.slice(0, 256) };
    if (event.detail) entry.detail = event.detail.slice(0, 1000);
    const key = this.keys.history(id);
    await this.#run(() =>
      this.#redis
        .multi()
        .rpush(key, JSON.stringify(entry))
        .ltrim(key, -200, -1)
        .pexpire(key, this.#retentionMs)
        .exec(),
    );
  }

  /** The review's audit events, oldest first (malformed entries skipped). */
  async history(id: string): Promise<HistoryEvent[]> {
    if (!isReviewId(id)) return [];
    const raw = await this.#run(() => this.#redis.lrange(this.keys.history(id), 0, -1));
    return raw.flatMap((line) => {
      try {
        const value = JSON.parse(line) as HistoryEvent;
        return typeof value.at === 'number' && typeof value.kind === 'string' && typeof value.by === 'string'
          ? [value]
          : [];
      } catch {
        return [];
      }
    });
  }

  /** Pending reviews by deadline (soonest first); otherwise newest first, optionally by state. */
  list(options: ListOptions = {}): Promise<Review[]> {
    return this.#run(() => listReviews(this.#redis, this.keys, options));
  }

  /** Pending → expired once the deadline has passed (`not-due` before it). */
  async expire(id: string, now: number = Date.now()): Promise<ExpireResult> {
    const script = (owned: OwnedKeys) =>
      this.#scripts.hoopApprovalsExpire(
        this.keys.review(id),
        this.keys.pending,
        owned.fpKey,
        now,
        this.#lingerMs,
        this.events.channel,
      );
    return this.#final<ExpireOutcome>(id, script);
  }

  /** Withdraws a pending review or revokes an approved, unused grant. */
  async cancel(id: string, options: { by?: string; now?: number } = {}): Promise<CancelResult> {
    const now = options.now ?? Date.now();
    const script = (owned: OwnedKeys) =>
      this.#scripts.hoopApprovalsCancel(
        this.keys.review(id),
        this.keys.pending,
        owned.fpKey,
        owned.windowKey,
        now,
        this.#lingerMs,
        this.events.channel,
        options.by ?? '',
      );
    return this.#final<CancelOutcome>(id, script);
  }

  /** Calls `onEvent` for every state change; resolves once subscribed, to an unsubscribe function. */
  subscribe(onEvent: ReviewEventListener): Promise<() => void> {
    return this.events.subscribe(onEvent);
  }

  /**
   * Holds until the review is decided, expired or cancelled, or `timeoutMs` passes (`pending`).
   * A lost Redis connection makes the wait re-read at once rather than at its next poll, so a
   * held call learns within the ready timeout (about a second) that Redis is gone.
   */
  waitForDecision(id: string, options: WaitOptions): Promise<WaitResult> {
    return waitForDecision(this.events, (reviewId) => this.get(reviewId), id, {
      onConnectionLost: (listener) => this.#onConnectionLost(listener),
      ...options,
    });
  }

  /** Calls `listener` whenever the store's connection closes; returns the function that stops it. */
  #onConnectionLost(listener: () => void): () => void {
    if (this.#connectionLost.size === 0) this.#redis.on('close', this.#connectionClosed);
    const entry = { listener };
    this.#connectionLost.add(entry);
    return () => {
      if (!this.#connectionLost.delete(entry)) return;
      if (this.#connectionLost.size === 0) this.#redis.off('close', this.#connectionClosed);
    };
  }

  /** Closes the events connection; the main connection belongs to whoever passed it in. */
  close(): Promise<void> {
    return this.events.close();
  }

  async #final<O extends string>(
    id: string,
    script: (owned: OwnedKeys) => Promise<ScriptReply>,
  ): Promise<{ outcome: O; review?: Review }> {
    if (!isReviewId(id)) return { outcome: 'not-found' as O };
    const loaded = await this.#load(id);
    if (!loaded) return { outcome: 'not-found' as O };
    const { head, fields } = await this.#run(() => script(loaded.owned));
    if (head[0] === 'moved') return { outcome: 'not-found' as O };
    if (head[0] === 'cancelled') await this.#durable(this.keys.review(id), 'cancellation');
    const review = decodeReview(fields);
    return { outcome: head[0] as O, ...(review ? { review } : {}) };
  }

  /**
   * The review and the index and window keys its record owns (fields fpKey and windowKey, fixed
   * at creation), which the decide, expire and cancel scripts take as KEYS.
   */
  async #load(id: string): Promise<{ review: Review; owned: OwnedKeys } | undefined> {
    if (!isReviewId(id)) return undefined;
    const fields = await this.#run(() => this.#redis.hgetall(this.keys.review(id)));
    const review = decodeReview(fields);
    const { fpKey, windowKey } = fields;
    return review && fpKey && windowKey ? { review, owned: { fpKey, windowKey } } : undefined;
  }

  /** Decisions, cancellations and grant use: confirmed on the replicas or a 503 (replicated-write.ts). */
  #durable(key: string, what: string): Promise<void> {
    return confirmReplicated(this.#redis, key, this.#replication, what);
  }

  /** A new review: replicated within the same bound, nothing failed if not. */
  #replicate(key: string): Promise<void> {
    return replicateQuietly(this.#redis, key, this.#replication);
  }

  #run<T>(call: () => Promise<T>): Promise<T> {
    return withRedis(this.#redis, this.#readyMs, call);
  }
}

export function createReviewStore(options: ReviewStoreOptions): ReviewStore {
  return new ReviewStore(options);
}
