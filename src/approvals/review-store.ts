import type { RedisConnection } from '../queues/connections.ts';
import type { ScriptReply } from '../redis/script-reply.ts';
import { authorizeDecision } from './authorize.ts';
import { DEFAULT_CLAIM_ALLOWLIST } from './caller-snapshot.ts';
import { windowScope } from './fingerprint.ts';
import { type ApprovalKeys, approvalKeys, isReviewId, newReviewId } from './keys.ts';
import { type ListOptions, listReviews } from './list-reviews.ts';
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
import { withRedis } from './unavailable-error.ts';
import { type WaitOptions, type WaitResult, waitForDecision } from './wait-for-decision.ts';

const FINGERPRINT = /^[0-9a-f]{64}$/;
const ID_ATTEMPTS = 5;

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

  constructor(options: ReviewStoreOptions) {
    this.keys = approvalKeys(options.prefix ?? 'hoop:approvals');
    this.#redis = options.connection;
    this.#scripts = withApprovalScripts(options.connection);
    this.#allowlist = options.claimAllowlist ?? DEFAULT_CLAIM_ALLOWLIST;
    this.#lingerMs = (options.verdictLingerSeconds ?? 60) * 1000;
    this.#onceMs = (options.onceGrantSeconds ?? 600) * 1000;
    this.#retentionMs = (options.retentionSeconds ?? 7 * 86_400) * 1000;
    this.#readyMs = options.readyTimeoutMs ?? 1000;
    this.#signer = options.signer;
    this.events = new ReviewEvents(options.connection, options.channel ?? this.keys.events, this.#readyMs);
  }

  /** The open review for `input.fingerprint`, or a new pending one; atomic across replicas. */
  async findOrCreate(input: OpenReviewInput): Promise<{ review: Review; created: boolean }> {
    if (!FINGERPRINT.test(input.fingerprint)) throw new TypeError('fingerprint must be a SHA-256 hex digest');
    const now = input.now ?? Date.now();
    const { caller, cluster, rule } = input;
    const data = encodeData(reviewData(input, this.#allowlist));
    const windowKey = this.keys.window(windowScope(caller, cluster, rule.name));
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const id = newReviewId();
      const { head, fields } = await this.#run(() =>
        this.#scripts.hoopApprovalsCreate(
          this.keys.fingerprint(input.fingerprint),
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
          this.keys.reviewPrefix,
          windowKey,
        ),
      );
      if (head[0] === 'collision') continue;
      return { review: mustDecode(fields), created: head[0] === 'created' };
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
    const current = await this.get(id);
    if (!current) return { outcome: 'not-found' };
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
    const { head, fields } = await this.#run(() =>
      this.#scripts.hoopApprovalsConsume(this.keys.fingerprint(fingerprint), now, this.keys.reviewPrefix),
    );
    const review = decodeReview(fields);
    return { outcome: head[0] as ConsumeOutcome, ...(review ? { review } : {}) };
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
    const script = () =>
      this.#scripts.hoopApprovalsExpire(
        this.keys.review(id),
        this.keys.pending,
        now,
        this.#lingerMs,
        this.events.channel,
      );
    return this.#final<ExpireOutcome>(id, script);
  }

  /** Withdraws a pending review or revokes an approved, unused grant. */
  async cancel(id: string, options: { by?: string; now?: number } = {}): Promise<CancelResult> {
    const now = options.now ?? Date.now();
    const script = () =>
      this.#scripts.hoopApprovalsCancel(
        this.keys.review(id),
        this.keys.pending,
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
    this.#redis.on('close', listener);
    return () => {
      this.#redis.off('close', listener);
    };
  }

  /** Closes the events connection; the main connection belongs to whoever passed it in. */
  close(): Promise<void> {
    return this.events.close();
  }

  async #final<O extends string>(
    id: string,
    script: () => Promise<ScriptReply>,
  ): Promise<{ outcome: O; review?: Review }> {
    if (!isReviewId(id)) return { outcome: 'not-found' as O };
    const { head, fields } = await this.#run(script);
    const review = decodeReview(fields);
    return { outcome: head[0] as O, ...(review ? { review } : {}) };
  }

  #run<T>(call: () => Promise<T>): Promise<T> {
    return withRedis(this.#redis, this.#readyMs, call);
  }
}

export function createReviewStore(options: ReviewStoreOptions): ReviewStore {
  return new ReviewStore(options);
}
