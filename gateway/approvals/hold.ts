import type { Review } from '../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import type { OpenReviewInput } from '../../src/approvals/review-store.types.ts';
import type { GrantCheck } from '../../src/approvals/signing/verify-grant.ts';
import type { ReviewProducers } from '../../src/queues/review-producers.ts';

/**
 * Holding one request for review, against the approvals engine (src/approvals/review-store.ts),
 * in the order its TSDoc prescribes:
 *
 * 1. `consume(fingerprint)`: an approval for exactly this request (or a window) lets it through.
 *    A `once` grant is claimed atomically, so of any number of attempts exactly one proceeds.
 * 2. `findWindowGrant`: an approver's window for this identity, cluster and rule lets it through.
 * 3. `findOrCreate`: the review this request belongs to. A retry joins the first attempt's review
 *    (same fingerprint), so kubectl's 429 retries never open a second one. For a pending review
 *    the notify and expire jobs are enqueued on every attempt (idempotent by job id), so a crash
 *    between creating the review and enqueuing cannot lose its card or its expiry.
 * 4. `waitForDecision` for what is left of the hold time: approved → back to 1 (claim it);
 *    rejected, expired, cancelled → refused; still pending → the caller answers 429.
 *
 * A call the rule auto-approves (the caller is in one of its `autoApprove.groups`, or its impact
 * preview meets `autoApprove.deleteAtMost`) skips the wait: its review is approved by the gateway
 * itself (a trusted decision, recorded with `via: 'auto'` and the reason) and then claimed like
 * any other.
 * Whatever Redis says, the call is forwarded only on signed decisions that hold up for it
 * (`check`, approvals/signing/verify-grant.ts); a record that claims an approval or a rejection
 * without one ends the hold as `forged`.
 * Redis failures surface as `ApprovalsUnavailableError` (503). An aborted `signal` (the client
 * went away) ends the hold with `gone` and, checked before every claim, never consumes a grant
 * for a client that is no longer there.
 */
export type HoldOutcome =
  | { kind: 'proceed'; review: Review; grant: 'once' | 'window'; autoApproved: boolean; approvers: string[] }
  | { kind: 'pending'; review: Review }
  | { kind: 'refused'; review: Review }
  /** Redis says approved or rejected, but no signed decision backs it: never forwarded. */
  | { kind: 'forged'; review: Review; why: string }
  | { kind: 'gone' };

/** Checks a record's decisions against the held call (approvals/signing/verify-grant.ts). */
export interface DecisionCheck {
  approval(review: Review): GrantCheck;
  rejection(review: Review): { ok: true } | { ok: false; why: string };
}

export interface HoldRequest {
  open: OpenReviewInput;
  /** How long to hold before answering "still pending". */
  holdMs: number;
  /** How often a held request re-reads its record (events make it faster). Default 2000 ms. */
  pollMs?: number;
  signal: AbortSignal;
  /** Set when the rule auto-approves this call: the reason recorded on the decision. */
  autoApprove?: { reason: string };
  /** Called once when this request opened a new review (for the "how to approve" log line). */
  onCreated?: (review: Review) => void;
  /** Every approval or rejection read from Redis is checked with this before it is acted on. */
  check: DecisionCheck;
}

/** Enough rounds for approve → claim, and for losing a `once` race and opening a new review. */
const MAX_ROUNDS = 4;

export async function holdForApproval(
  store: ReviewStore,
  producers: ReviewProducers,
  request: HoldRequest,
): Promise<HoldOutcome> {
  const { open, signal } = request;
  const until = Date.now() + request.holdMs;
  let autoApproved = false;
  let last: Review | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (signal.aborted) return { kind: 'gone' };
    const claim = await store.consume(open.fingerprint);
    if ((claim.outcome === 'consumed' || claim.outcome === 'window-valid') && claim.review) {
      const grant = claim.outcome === 'consumed' ? 'once' : 'window';
      return proceedIfSigned(request.check, claim.review, grant, autoApproved);
    }
    const window = await store.findWindowGrant(open.caller, open.cluster, open.rule.name);
    if (window) return proceedIfSigned(request.check, window, 'window', false);

    const { review, created } = await store.findOrCreate(open);
    last = review;
    if (created) request.onCreated?.(review);
    if (review.state === 'approved') continue; // a usable grant: claim it next round
    if (review.state !== 'pending') return refusedIfSigned(request.check, review);

    if (request.autoApprove !== undefined) {
      await approveAutomatically(store, review, request.autoApprove.reason);
      autoApproved = true;
      continue;
    }
    await producers.ensureQueued(review);
    const remaining = until - Date.now();
    if (remaining <= 0) return { kind: 'pending', review };
    let result: Awaited<ReturnType<ReviewStore['waitForDecision']>>;
    try {
      const waitOptions = {
        timeoutMs: remaining,
        signal,
        pollMs: request.pollMs,
      };
      result = await store.waitForDecision(review.id, waitOptions);
    } catch (error) {
      if (signal.aborted) return { kind: 'gone' };
      throw error;
    }
    if (result.state === 'pending') return { kind: 'pending', review: result.review ?? review };
    if (result.state === 'approved' || result.state === 'not-found' || !result.review) continue;
    return refusedIfSigned(request.check, result.review);
  }
  // Only a run of lost races gets here; the client retries and tries again.
  if (last) return { kind: 'pending', review: last };
  throw new Error('approvals: no review after holding');
}

/**
 * Forwards only on an approval whose signatures hold up for this call, and only as the grant the
 * signatures give: Redis saying "window" when the approvers signed a single call is a forgery.
 */
function proceedIfSigned(
  check: DecisionCheck,
  review: Review,
  grant: 'once' | 'window',
  autoApproved: boolean,
): HoldOutcome {
  const verdict = check.approval(review);
  if (!verdict.ok) return { kind: 'forged', review, why: verdict.why };
  if (verdict.grant !== grant) {
    return {
      kind: 'forged',
      review,
      why: `Redis records a ${grant} grant, but the approvers signed a ${verdict.grant} grant`,
    };
  }
  return { kind: 'proceed', review, grant, autoApproved, approvers: verdict.approvers };
}

/** Rejections must be signed too; expiry and cancellation only refuse and need no signature. */
function refusedIfSigned(check: DecisionCheck, review: Review): HoldOutcome {
  if (review.state === 'rejected') {
    const verdict = check.rejection(review);
    if (!verdict.ok) return { kind: 'forged', review, why: verdict.why };
  }
  return { kind: 'refused', review };
}

/** The gateway approves on the policy's behalf: recorded like a person's decision, via `auto`. */
async function approveAutomatically(store: ReviewStore, review: Review, reason: string): Promise<void> {
  await store.decide(
    review.id,
    {
      approver: { id: 'hoop-gateway:auto-approve', groups: [] },
      action: 'approve',
      via: 'auto',
      reason,
    },
    { trusted: true },
  );
}
