import { authorizeDecision, isSelf } from '../authorize.ts';
import { windowScope } from '../fingerprint.ts';
import type { Decision, Review } from '../review.types.ts';
import type { ReviewRule } from '../review-rule.ts';
import type { DecisionKeyring } from './decision-keys.ts';
import { checkProof } from './decision-proof.ts';

/**
 * The gateway's last word before it forwards a held call: does the record's approval hold up
 * without trusting Redis? Redis says "approved"; this checks, from the record's signed decisions
 * alone and the gateway's own view of the call it holds:
 *
 * - each approval's signature verifies under a trusted key whose role may sign its source;
 * - it was signed for this review, this requester, cluster and rule (window scope) and, for a
 *   single-call grant, this exact request (fingerprint);
 * - the approver may approve under the gateway's own rule (not the rule copied into Redis), and
 *   is not the requester or its owner unless the rule allows it (`auto` approvals count only when
 *   the gateway itself found the caller in an `autoApprove` group; a `break-glass` approval,
 *   signed with the operators' break-glass key, overrides the approver list and the number of
 *   approvals, never the self-approval rule);
 * - enough distinct approvers signed (the rule's `minApprovals`);
 * - the grant is still running by the signed times: a window ends `windowSeconds` after the final
 *   approval (the shortest window chosen), a single call must be claimed within `onceGrantMs`.
 *
 * What Redis still decides (it cannot be signed): whether a `once` grant was already used. A
 * replica keeps the proofs it forwarded on (hold.ts), so replaying one on the same replica fails;
 * see docs/approvals.md for the trust model.
 */
export interface HeldCall {
  fingerprint: string;
  caller: { issuer: string; subject: string };
  owner?: string | undefined;
  cluster: string;
  /** The rule from the gateway's own policy for this call. */
  rule: ReviewRule;
  /**
   * Set (to why) when the gateway itself auto-approves this call: the caller is in one of the
   * rule's `autoApprove` groups, or the impact preview meets `autoApprove.deleteAtMost`.
   */
  autoApproval?: string | undefined;
}

export type GrantCheck =
  | { ok: true; grant: 'once' | 'window'; approvers: string[]; keyIds: string[] }
  | { ok: false; why: string };

export interface VerifyOptions {
  now?: number;
  /** How long an unclaimed single-call approval is usable. */
  onceGrantMs: number;
  /** Tolerated clock difference between deciding component and gateway. Default 60 s. */
  skewMs?: number;
}

interface Valid {
  decision: Decision;
  fingerprint: string;
  keyId: string;
}

export function verifyApproval(
  review: Review,
  held: HeldCall,
  keyring: DecisionKeyring,
  options: VerifyOptions,
): GrantCheck {
  const now = options.now ?? Date.now();
  const skew = options.skewMs ?? 60_000;
  const scope = windowScope(held.caller, held.cluster, held.rule.name);
  const valid: Valid[] = [];
  const problems: string[] = [];
  for (const decision of review.decisions) {
    if (decision.action !== 'approve') continue;
    const problem = approvalProblem(decision, review.id, scope, held, keyring, now + skew);
    if (problem) problems.push(`${String(decision.approver).slice(0, 80)}'s approval: ${problem}`);
    else valid.push({ decision, fingerprint: decision.proof!.fingerprint, keyId: decision.proof!.keyId });
  }
  // The gateway's own auto-approval, and an operator's break-glass approval, stand alone.
  const standAlone = held.autoApproval !== undefined || valid.some((v) => v.decision.via === 'break-glass');
  const needed = standAlone ? 1 : held.rule.minApprovals;
  const failure = (fallback: string): GrantCheck => ({
    ok: false,
    why: problems.length > 0 ? problems.join('; ') : fallback,
  });

  const windows = valid.filter((v) => (v.decision.windowSeconds ?? 0) > 0);
  if (windows.length === valid.length && distinct(valid) >= needed && held.rule.grant.kind === 'window') {
    const end = lastAt(valid) + Math.min(...valid.map((v) => v.decision.windowSeconds ?? 0)) * 1000;
    if (now >= end) return failure('its signed window is over');
    return { ok: true, grant: 'window', approvers: names(valid), keyIds: keyIds(valid) };
  }
  const forThisCall = valid.filter((v) => v.fingerprint === held.fingerprint);
  if (distinct(forThisCall) < needed) {
    return failure(
      valid.length > forThisCall.length
        ? 'it was signed for a different request'
        : `${distinct(forThisCall)} of ${needed} required signed approvals`,
    );
  }
  if (now >= lastAt(forThisCall) + options.onceGrantMs)
    return failure('its signed approval is too old to claim');
  return { ok: true, grant: 'once', approvers: names(forThisCall), keyIds: keyIds(forThisCall) };
}

/**
 * Whether a rejection in Redis is one an approver signed for this review and requester; the
 * reason to say so when it is not (a forged rejection only refuses, but is still a forgery).
 */
export function verifyRejection(
  review: Review,
  held: HeldCall,
  keyring: DecisionKeyring,
): { ok: true } | { ok: false; why: string } {
  const rejection = review.decisions.findLast((d) => d.action === 'reject');
  if (!rejection) return { ok: false, why: 'no rejection is recorded' };
  const check = checkProof(rejection, keyring);
  if (!check.ok) return { ok: false, why: check.why };
  const scope = windowScope(held.caller, held.cluster, held.rule.name);
  if (rejection.proof!.reviewId !== review.id || rejection.proof!.scope !== scope) {
    return { ok: false, why: 'it was signed for a different review' };
  }
  return { ok: true };
}

function approvalProblem(
  decision: Decision,
  reviewId: string,
  scope: string,
  held: HeldCall,
  keyring: DecisionKeyring,
  latest: number,
): string | undefined {
  const check = checkProof(decision, keyring);
  if (!check.ok) return check.why;
  const proof = decision.proof!;
  if (proof.reviewId !== reviewId) return 'it was signed for a different review';
  if (proof.scope !== scope) return 'it was signed for a different requester, cluster or rule';
  if (!Number.isSafeInteger(decision.at) || decision.at > latest) return 'its signed time is in the future';
  if (decision.via === 'auto') {
    return held.autoApproval !== undefined
      ? undefined
      : 'the gateway did not auto-approve this call (no autoApprove group or preview condition holds)';
  }
  if (held.autoApproval !== undefined) return undefined;
  const approver = decision.identity ?? { id: decision.approver, groups: [] };
  if (approver.id !== decision.approver) return 'its identity does not match its approver';
  if (decision.via === 'break-glass') {
    // Break-glass overrides the approver list (that is its point), never the self-approval rule.
    const self =
      !held.rule.allowSelfApproval &&
      isSelf({ caller: { ...held.caller, groups: [], claims: {} }, owner: held.owner }, approver);
    return self ? `${approver.id} requested this call (or owns the job that did)` : undefined;
  }
  const auth = authorizeDecision(
    { caller: { ...held.caller, groups: [], claims: {} }, owner: held.owner, rule: held.rule },
    {
      approver,
      action: 'approve',
      ...(decision.windowSeconds ? { windowSeconds: decision.windowSeconds } : {}),
    },
  );
  return auth.allowed ? undefined : auth.reason;
}

function distinct(valid: Valid[]): number {
  return new Set(valid.map((v) => v.decision.approver.toLowerCase())).size;
}

function lastAt(valid: Valid[]): number {
  return Math.max(...valid.map((v) => v.decision.at));
}

function names(valid: Valid[]): string[] {
  return [...new Set(valid.map((v) => v.decision.approver))];
}

function keyIds(valid: Valid[]): string[] {
  return [...new Set(valid.map((v) => v.keyId))];
}
