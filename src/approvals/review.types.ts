import type { RequestInfo } from '../request/request-info.types.ts';
import type { ImpactPreview } from './impact.types.ts';
import type { ReviewRule } from './review-rule.ts';

/**
 * The shape of a review record as the rest of the project sees it. A review is one held
 * Kubernetes API call waiting for humans; it lives in Redis (see keys.ts) so that any gateway
 * replica, the bot, and a restarted process all see the same record.
 *
 * All timestamps are epoch milliseconds, taken from the caller's clock (`now` arguments) so tests
 * can move time; replicas are expected to run NTP-synchronised clocks.
 */

/**
 * pending → approved | rejected | expired | cancelled. The four others are final, except that an
 * approved review may be cancelled (which revokes its grant).
 */
export type ReviewState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

/**
 * Where a decision was made: `api` the gateway's approvals API (a person signed in with the
 * people issuer, e.g. through `hoop-gateway reviews`), `slack`/`teams` the chat bot, `auto` the
 * gateway applying a rule's `autoApprove` groups, `break-glass` an operator writing to Redis with
 * the break-glass key, `console` a person signed in to the web console.
 */
export type DecisionVia = 'api' | 'slack' | 'teams' | 'auto' | 'break-glass' | 'console';

/**
 * The signature of a decision (signing/decision-proof.ts) and what it binds the decision to. The
 * gateway forwards a held call only on decisions whose proof verifies and whose binding matches
 * the call it holds; Redis alone cannot make one.
 */
export interface DecisionProof {
  v: 1;
  reviewId: string;
  fingerprint: string;
  /** fingerprint.ts `windowScope` of the requester, cluster and rule. */
  scope: string;
  /** signing/decision-keys.ts `keyIdOf` the signing key. */
  keyId: string;
  /** base64url Ed25519 signature over signing/decision-proof.ts `signedBytes`. */
  sig: string;
}

/** One approver's click, as recorded. */
export interface Decision {
  approver: string;
  action: 'approve' | 'reject';
  at: number;
  via: DecisionVia;
  reason?: string;
  /** The window the approver chose; absent means `once`. */
  windowSeconds?: number;
  /** Who decided, as the deciding component authenticated them (signed with the decision). */
  identity?: Approver;
  /** The signature; absent on a decision made without a signing key (never forwarded on). */
  proof?: DecisionProof;
}

/**
 * What an approved review lets through.
 * - `once`: the next request with the review's fingerprint, exactly once, until `expiresAt`
 *   (an unclaimed approval does not live for ever).
 * - `window`: every request of the same identity that the same rule sends to review on the same
 *   cluster, until `windowEnd`; it is never consumed.
 */
export type Grant =
  | { kind: 'once'; expiresAt: number; consumedAt?: number }
  | { kind: 'window'; windowSeconds: number; windowEnd: number };

/**
 * The requester as recorded: never the token, and only the claims the store's allowlist selects
 * (claim values are copied only when they are strings, numbers, booleans or lists of strings).
 */
export interface CallerSnapshot {
  issuer: string;
  subject: string;
  groups: string[];
  claims: Record<string, string | number | boolean | string[]>;
}

/** The kubectl headers worth showing an approver (`Kubectl-Command`, `Kubectl-Session`). */
export interface SessionHeaders {
  command?: string;
  session?: string;
}

export interface Review {
  /** `r-` and six characters of an unambiguous alphabet: short enough to type in `/hoop show`. */
  id: string;
  fingerprint: string;
  state: ReviewState;
  caller: CallerSnapshot;
  /** Who answers for the requester (e.g. a CI job's `actor`), if the configured claim names one. */
  owner?: string;
  cluster: string;
  info: RequestInfo;
  headers: SessionHeaders;
  /** A masked, human-readable summary of the request body, produced by the caller. */
  bodySummary: string;
  /**
   * What the call would do, as computed (masked, bounded) when the review was created; absent
   * for records made before previews existed and for calls a preview says nothing about.
   */
  impact?: ImpactPreview;
  rule: ReviewRule;
  decisions: Decision[];
  /** The approver whose decision made the review final. */
  decidedBy?: string;
  deadline: number;
  createdAt: number;
  updatedAt: number;
  grant?: Grant;
}

/** The message published on `<prefix>:review-events` for every state change. */
export interface ReviewEvent {
  id: string;
  state: ReviewState;
  fingerprint: string;
}

/**
 * Who decides: an approver id (a signed-in person's e-mail or subject, or the id the bot mapped
 * from the chat user) and the groups it belongs to. For a person signed in with the people issuer
 * the token's issuer, subject and e-mail come along, and approver rules match any of id, subject
 * and e-mail (authorize.ts).
 */
export interface Approver {
  id: string;
  groups: string[];
  issuer?: string;
  subject?: string;
  email?: string;
}

export interface DecideInput {
  approver: Approver;
  action: 'approve' | 'reject';
  via: DecisionVia;
  reason?: string;
  /** Ask for a window grant of this many seconds (at most the rule's `maxSeconds`). */
  windowSeconds?: number;
  /** Defaults to `Date.now()`. */
  now?: number;
}

export type DecideOutcome =
  /** This decision made the review final (approved or rejected). */
  | 'applied'
  /** An approval was counted but more distinct approvals are needed (or it was already counted). */
  | 'counted'
  /** Someone decided first (or the review was cancelled); `decidedBy` names them. */
  | 'already-decided'
  /** The approver may not decide this review; `reason` says why. Nothing changed. */
  | 'not-allowed'
  | 'not-found'
  /** The deadline passed; the review is (now) expired. */
  | 'expired';

export interface DecideResult {
  outcome: DecideOutcome;
  review?: Review;
  decidedBy?: string;
  /** For `not-allowed`: a sentence for the approver. */
  reason?: string;
}

/**
 * An audit event of a review besides its decisions (which the record holds): a forged decision
 * the gateway refused, a break-glass decision, a refused attempt to decide. `reviews show` prints
 * them with the decisions. Written to Redis, so an attacker with Redis access can delete them:
 * the log line written at the same time is the record that counts.
 */
export interface HistoryEvent {
  at: number;
  kind: 'forged-decision-refused' | 'break-glass' | 'decision-refused';
  /** Who or what caused it (an approver id, `hoop-gateway`). */
  by: string;
  detail?: string;
}
