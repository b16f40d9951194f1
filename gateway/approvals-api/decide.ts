import { decideAudited } from '../../src/approvals/decide-audited.ts';
import type { Approver, DecideResult } from '../../src/approvals/review.types.ts';
import { durationMs } from '../../src/config/schema.ts';
import { badRequest, forbidden, type StatusError } from '../../src/errors.ts';
import type { ApprovalsRuntime } from '../runtime.ts';
import { conflictError, goneError, notFoundError } from './responses.ts';

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

const MAX_REASON = 500;

export async function decideForPerson(
  approvals: ApprovalsRuntime,
  request: DecideRequest,
  logger: Parameters<typeof decideAudited>[2],
): Promise<DecideResult> {
  const { reason, windowSeconds } = parseBody(request.action, request.body);
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
  const refusal = refusalOf(request.id, result);
  if (refusal) throw refusal;
  return result;
}

function parseBody(
  action: 'approve' | 'reject',
  body: Record<string, unknown>,
): { reason?: string; windowSeconds?: number } {
  const { reason, window, ...rest } = body;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw badRequest(`unknown field "${unknown.slice(0, 40)}"; send reason and window only`);
  if (reason !== undefined && typeof reason !== 'string') throw badRequest('reason must be a string');
  if (action === 'reject' && !reason?.trim()) {
    throw badRequest('a rejection needs a reason: the agent reads it to understand what to change');
  }
  if (typeof reason === 'string' && reason.length > MAX_REASON) {
    throw badRequest(`reason is longer than ${MAX_REASON} characters`);
  }
  let windowSeconds: number | undefined;
  if (window !== undefined) {
    if (action === 'reject') throw badRequest('window applies to approve only');
    if (typeof window === 'number' && Number.isInteger(window) && window > 0) windowSeconds = window;
    else if (typeof window === 'string' && /^\d+(s|m|h)$/.test(window))
      windowSeconds = durationMs(window) / 1000;
    else throw badRequest('window must be a duration such as "15m" or a number of seconds');
  }
  return {
    ...(typeof reason === 'string' && reason.trim() ? { reason: reason.trim() } : {}),
    ...(windowSeconds ? { windowSeconds } : {}),
  };
}

function refusalOf(id: string, result: DecideResult): StatusError | undefined {
  switch (result.outcome) {
    case 'applied':
    case 'counted':
      return undefined;
    case 'not-allowed':
      return forbidden(`you may not decide ${id}: ${result.reason ?? 'not allowed'}`);
    case 'already-decided':
      return conflictError(
        `${id} is already ${result.review?.state ?? 'decided'}${result.decidedBy ? ` by ${result.decidedBy}` : ''}; nothing changed`,
      );
    case 'expired':
      return goneError(`${id} has expired; nothing changed. The agent must send its request again.`);
    case 'not-found':
      return notFoundError(`no review ${id}`);
  }
}
