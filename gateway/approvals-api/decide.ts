import { decideAudited } from '../../src/approvals/decide-audited.ts';
import { decisionRefusal, parseDecisionBody } from '../../src/approvals/person-decision.ts';
import type { Approver, DecideResult } from '../../src/approvals/review.types.ts';
import type { ApprovalsRuntime } from '../runtime.ts';

/**
 * `POST /hoop/v1/reviews/{id}/approve|reject` for a signed-in person: the body's reason and
 * window checked, then the shared decision path (src/approvals/decide-audited.ts), which
 * authorizes against the review's rule, signs with the gateway's key and writes the audit line.
 * An outcome that changed nothing becomes a Status saying why; the card update is queued for the
 * chat bot as after any decision.
 */
export interface DecideRequest {
  id: string;
  action: 'approve' | 'reject';
  approver: Approver;
  body: Record<string, unknown>;
}

export async function decideForPerson(
  approvals: ApprovalsRuntime,
  request: DecideRequest,
  logger: Parameters<typeof decideAudited>[2],
): Promise<DecideResult> {
  const { reason, windowSeconds } = parseDecisionBody(request.action, request.body);
  const result = await decideAudited(
    approvals.store,
    {
      reviewId: request.id,
      approver: request.approver,
      action: request.action,
      via: 'api',
      ...(reason ? { reason } : {}),
      ...(windowSeconds ? { windowSeconds } : {}),
    },
    logger,
    approvals.signerKeyId,
  );
  if (result.outcome === 'applied' && result.review) {
    await approvals.producers.enqueueNotify(result.review, 'decided').catch(() => undefined);
  }
  const refusal = decisionRefusal(request.id, result);
  if (refusal) throw refusal;
  return result;
}
