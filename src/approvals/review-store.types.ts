import type { Caller } from '../authn/caller.ts';
import type { RedisConnection } from '../queues/connections.ts';
import type { ReplicationOptions } from '../redis/replication.ts';
import type { RequestInfo } from '../request/request-info.types.ts';
import type { ImpactPreview } from './impact.types.ts';
import type { Review, SessionHeaders } from './review.types.ts';
import type { ReviewRule } from './review-rule.ts';
import type { DecisionSigner } from './signing/decision-keys.ts';

/** Options and inputs of the review store (review-store.ts), apart so the class reads on its own. */
export interface ReviewStoreOptions {
  /** A fail-fast connection (queues/connections.ts `createRequestConnection`); not closed by the store. */
  connection: RedisConnection;
  /** Key prefix, no trailing colon. Default `hoop:approvals`. */
  prefix?: string;
  /** Pub/sub channel for state changes. Default `<prefix>:review-events`. */
  channel?: string;
  /** Claims copied into records. Default caller-snapshot.ts `DEFAULT_CLAIM_ALLOWLIST`. */
  claimAllowlist?: readonly string[];
  /** How long a final verdict stays attached to its fingerprint, so retries see it. Default 60 s. */
  verdictLingerSeconds?: number;
  /** How long an unclaimed `once` approval stays usable. Default 600 s. */
  onceGrantSeconds?: number;
  /** How long a record is kept after its deadline (or grant end). Default 7 days. */
  retentionSeconds?: number;
  /** How long a call waits for a (re)connecting Redis before failing. Default 1000 ms. */
  readyTimeoutMs?: number;
  /**
   * Signs every decision this store records (signing/decision-keys.ts): the deciding
   * component's own key. Without it decisions are recorded unsigned and never forwarded on.
   */
  signer?: DecisionSigner;
  /**
   * Replicas that must acknowledge a decision, a cancellation and the use of a `once` grant
   * before the store reports it (redis/replication.ts); unset or 0: no waiting (one Redis).
   */
  replication?: ReplicationOptions;
}

export interface OpenReviewInput {
  fingerprint: string;
  caller: Caller;
  cluster: string;
  info: RequestInfo;
  headers: SessionHeaders;
  /** Masked by the caller; cut to 4000 characters. */
  bodySummary: string;
  rule: ReviewRule;
  /** The impact preview, already masked and bounded by the gateway (gateway/approvals/impact/). */
  impact?: ImpactPreview;
  /** The requester's owner (caller-snapshot.ts `ownerFrom`), refused as an approver too. */
  owner?: string;
  now?: number;
}

export type ConsumeOutcome = 'consumed' | 'window-valid' | 'not-approved' | 'none';
export type ExpireOutcome = 'expired' | 'not-due' | 'not-pending' | 'not-found';
export type CancelOutcome = 'cancelled' | 'not-cancellable' | 'not-found';

export interface ConsumeResult {
  outcome: ConsumeOutcome;
  review?: Review;
}

export interface ExpireResult {
  outcome: ExpireOutcome;
  review?: Review;
}

export interface CancelResult {
  outcome: CancelOutcome;
  review?: Review;
}
