import { forbidden, StatusError } from '../errors.ts';
import { describeRequest } from '../policy/messages.ts';
import type { Review } from './review.types.ts';

/**
 * What a held request's caller reads. kubectl prints these as `Error from server (<Reason>): …`
 * and an AI agent reads them as its only clue, so each says what is pending or what happened, the
 * review id, what a person does to approve, and whether retrying helps.
 */

export interface MessageSettings {
  retryAfterSeconds: number;
  /** Extra text after the terminal command (e.g. "or click Approve in #platform-approvals"). */
  approveHint: string | undefined;
}

/** `90` → `1m30s`, `900` → `15m`, `3600` → `1h`. */
export function formatSeconds(total: number): string {
  const seconds = Math.max(0, Math.round(total));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}

/** `"delete" on namespaces "scratch" on cluster "prod"` for a stored review. */
export function describeReview(review: Review): string {
  const caller = { ...review.caller, claims: {} };
  return describeRequest({ caller, cluster: review.cluster, info: review.info });
}

/** `users alice, bob; groups sre` (or a warning that nobody can approve). */
export function describeApprovers(review: Review): string {
  const { users, groups } = review.rule.approvers;
  const parts = [
    users.length ? `users ${users.join(', ')}` : '',
    groups.length ? `groups ${groups.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'nobody (the rule lists no approvers; ask the platform team)';
}

/** 429 Retry-After: the review is still pending. client-go retries this by itself. */
export function pendingError(review: Review, settings: MessageSettings, now = Date.now()): StatusError {
  const hint = settings.approveHint ? ` ${settings.approveHint.trim()}` : '';
  const need = review.rule.minApprovals > 1 ? ` (${review.rule.minApprovals} distinct approvals needed)` : '';
  const note = review.rule.message ? ` The policy says: ${review.rule.message.trim()}` : '';
  const message =
    `waiting for human approval: review ${review.id} holds ${describeReview(review)} by ` +
    `${JSON.stringify(review.caller.subject)} (rule ${JSON.stringify(review.rule.name)}).${note} ` +
    `Nothing has been sent to the cluster yet. Approvers${need}: ${describeApprovers(review)}; ` +
    `an approver runs \`hoop-gateway reviews approve ${review.id}\` (or \`hoop-gateway reviews reject ` +
    `${review.id} --reason …\`)${hint}. Retrying the same request is safe: it joins review ` +
    `${review.id}, never opens a second one, and goes through once approved (kubectl retries by ` +
    `itself). The review expires in ${formatSeconds((review.deadline - now) / 1000)} ` +
    `(${new Date(review.deadline).toISOString()}) if nobody decides.`;
  return new StatusError(429, 'TooManyRequests', message, {
    headers: { 'Retry-After': String(settings.retryAfterSeconds) },
    details: { name: review.id, kind: 'reviews', retryAfterSeconds: settings.retryAfterSeconds },
  });
}

/** 403 for a review that ended without an approval: rejected, expired or cancelled. */
export function refusedError(review: Review): StatusError {
  const what = describeReview(review);
  if (review.state === 'rejected') {
    const rejection = review.decisions.findLast((d) => d.action === 'reject');
    const by = review.decidedBy ?? rejection?.approver ?? 'an approver';
    const reason = rejection?.reason ? `: ${rejection.reason}` : ' (no reason given)';
    return forbidden(
      `review ${review.id} was rejected by ${by}${reason}. ${what} was not sent to the cluster. ` +
        `Do not retry it unchanged: the same request is refused again for a while and then opens a ` +
        `new review. Change the plan, or ask ${by} what would be acceptable.`,
    );
  }
  if (review.state === 'expired') {
    return forbidden(
      `approval timed out after ${formatSeconds(review.rule.timeoutSeconds)}: nobody decided review ` +
        `${review.id} (${what}) in time, so it was not sent to the cluster. Sending the request ` +
        `again opens a new review after a minute; ask an approver (${describeApprovers(review)}) ` +
        'to look out for it.',
    );
  }
  const by = review.decidedBy ? ` by ${review.decidedBy}` : '';
  return forbidden(
    `review ${review.id} was cancelled${by}, so ${what} was not sent to the cluster. Ask the ` +
      'approvers before sending it again.',
  );
}

/** The 413 for a review-bound body over `approvals.maxBodyBytes`, after "larger than N bytes, ". */
export const HELD_BODY_TOO_LARGE =
  'the most this gateway holds for a request that needs approval. Send a smaller object (split the ' +
  'change), or ask the platform team to raise approvals.maxBodyBytes.';

/**
 * 403 for a record in Redis that claims a decision no approver signed (or signed for another
 * call). Says plainly that the call was not sent, why, and that Redis access needs checking; the
 * agent should not retry, since the same record answers the same way until it lapses.
 */
export function forgedError(review: Review, why: string): StatusError {
  const claimed = review.state === 'rejected' ? 'rejected' : 'approved';
  return forbidden(
    `the decision's signature did not verify: review ${review.id} is recorded as ${claimed} in the ` +
      `approvals store, but ${why}. ${describeReview(review)} was not sent to the cluster. Nobody ` +
      'who may approve signed this decision, so the record was written or altered by something ' +
      'with access to Redis; an operator should check who can reach Redis. Do not retry: ask an ' +
      'approver to look at the review.',
  );
}
