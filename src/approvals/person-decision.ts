import { durationMs } from '../config/schema.ts';
import { badRequest, forbidden, StatusError } from '../errors.ts';
import type { DecideResult } from './review.types.ts';

/**
 * What a signed-in person sends to decide a review (the approvals API, the web console), checked
 * the same way everywhere: `{ reason?, window? }` to approve, `{ reason }` to reject; and an
 * outcome that changed nothing as the Status that says why.
 */
const MAX_REASON = 500;

export function parseDecisionBody(
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

/** The Status for an outcome that changed nothing; undefined for `applied` and `counted`. */
export function decisionRefusal(id: string, result: DecideResult): StatusError | undefined {
  switch (result.outcome) {
    case 'applied':
    case 'counted':
      return undefined;
    case 'not-allowed':
      return forbidden(`you may not decide ${id}: ${result.reason ?? 'not allowed'}`);
    case 'already-decided':
      return new StatusError(
        409,
        'Conflict',
        `${id} is already ${result.review?.state ?? 'decided'}${result.decidedBy ? ` by ${result.decidedBy}` : ''}; nothing changed`,
      );
    case 'expired':
      return new StatusError(
        410,
        'Gone',
        `${id} has expired; nothing changed. The agent must send its request again.`,
      );
    case 'not-found':
      return new StatusError(404, 'NotFound', `no review ${id}`);
  }
}
