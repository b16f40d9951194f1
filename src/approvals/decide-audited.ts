import type { DecideInput, DecideResult } from './review.types.ts';
import type { ReviewStore } from './review-store.ts';

/**
 * The one decision path every channel shares: the gateway's approvals API, the chat bot and the
 * break-glass CLI all decide through here. It asks the store (which authorizes against the
 * record's rule and signs with the caller's key), then writes one structured audit line for the
 * attempt, whatever its outcome, and adds a refused attempt to the review's history.
 *
 * The audit line names the approver by every name it was authenticated with, the source, the
 * outcome and the signing key; never a token, a key or the request body.
 */
export interface AuditLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export type DecisionStore = Pick<ReviewStore, 'decide' | 'appendHistory'>;

export interface AuditedDecision extends DecideInput {
  reviewId: string;
  /** Skip the store's authorization: only the break-glass path and `autoApprove` do. */
  trusted?: boolean;
}

export async function decideAudited(
  store: DecisionStore,
  decision: AuditedDecision,
  logger: AuditLogger | undefined,
  signerKeyId: string | undefined,
): Promise<DecideResult> {
  const { reviewId, trusted, ...input } = decision;
  const result = await store.decide(reviewId, input, trusted ? { trusted } : {});
  const fields = {
    audit: 'decision',
    review: reviewId,
    action: input.action,
    outcome: result.outcome,
    approver: input.approver.id,
    subject: input.approver.subject,
    email: input.approver.email,
    issuer: input.approver.issuer,
    groups: input.approver.groups,
    via: input.via,
    windowSeconds: input.windowSeconds,
    keyId: signerKeyId,
    reason: result.reason,
  };
  const message = `decision on ${reviewId}: ${input.action} by ${input.approver.id} via ${input.via}: ${result.outcome}`;
  if (result.outcome === 'not-allowed') {
    logger?.warn(fields, message);
    await store
      .appendHistory(reviewId, {
        kind: 'decision-refused',
        by: input.approver.id,
        detail: `${input.action} via ${input.via}: ${result.reason ?? 'not allowed'}`,
      })
      .catch(() => undefined);
  } else {
    logger?.info(fields, message);
  }
  return result;
}
