import type { Approver, DecideInput, Review } from './review.types.ts';
import { maxWindowSeconds } from './review-rule.ts';

/**
 * Who may decide a review, checked before the decide script runs. Everything it reads (the rule,
 * the requester, the owner) is fixed when the review is created, so checking outside the atomic
 * script cannot race with a concurrent change. The gateway checks again, with its own rule and the
 * requester it holds, before it forwards on a signed decision (signing/verify-grant.ts): a record
 * altered in Redis cannot widen who may approve.
 *
 * - Eligible: the approver's id, subject or e-mail is one of the rule's users (case-insensitive:
 *   chat ids and e-mail addresses are) or one of its groups is one of the rule's groups (exact).
 * - Self-approval: an approver any of whose names equals the requester's subject or owner
 *   (case-insensitive, so "Alice" cannot approve alice's job) may not approve unless the rule
 *   allows it. Rejecting one's own request is always allowed: it only makes things safer.
 * - Windows: only a rule with a window grant may be approved with a window, and not for longer
 *   than its maximum.
 */
export type Authorization = { allowed: true } | { allowed: false; reason: string };

export function authorizeDecision(
  review: Pick<Review, 'caller' | 'owner' | 'rule'>,
  input: Pick<DecideInput, 'approver' | 'action' | 'windowSeconds'>,
): Authorization {
  const { approver, action } = input;
  if (!isEligible(review, approver)) {
    return {
      allowed: false,
      reason: `${approver.id} is not an approver for rule "${review.rule.name}" (neither listed nor in an approver group).`,
    };
  }
  if (action === 'approve' && !review.rule.allowSelfApproval && isSelf(review, approver)) {
    return {
      allowed: false,
      reason: `${approver.id} requested this call (or owns the job that did) and rule "${review.rule.name}" does not allow self-approval; another approver must decide.`,
    };
  }
  if (action === 'approve' && input.windowSeconds !== undefined) {
    const max = maxWindowSeconds(review.rule);
    if (!Number.isInteger(input.windowSeconds) || input.windowSeconds <= 0) {
      return { allowed: false, reason: 'A window must be a positive whole number of seconds.' };
    }
    if (max === 0) {
      return {
        allowed: false,
        reason: `Rule "${review.rule.name}" grants a single call only; approve without a window.`,
      };
    }
    if (input.windowSeconds > max) {
      return {
        allowed: false,
        reason: `Rule "${review.rule.name}" allows a window of at most ${max} seconds.`,
      };
    }
  }
  return { allowed: true };
}

function isEligible(review: Pick<Review, 'rule'>, approver: Approver): boolean {
  const names = approverNames(approver);
  const { users, groups } = review.rule.approvers;
  if (users.some((user) => names.includes(user.toLowerCase()))) return true;
  return approver.groups.some((group) => groups.includes(group));
}

/** Every name an approver answers to, lower-cased: its id and, for a signed-in person, subject and e-mail. */
export function approverNames(approver: Approver): string[] {
  const names = [approver.id, approver.subject, approver.email].filter(
    (name): name is string => typeof name === 'string' && name !== '',
  );
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

/** Whether `approver` (any of its names) is the requester (its subject) or the requester's owner. */
export function isSelf(review: Pick<Review, 'caller' | 'owner'>, approver: Approver | string): boolean {
  const names = typeof approver === 'string' ? [approver.toLowerCase()] : approverNames(approver);
  if (names.includes(review.caller.subject.toLowerCase())) return true;
  return review.owner !== undefined && names.includes(review.owner.toLowerCase());
}
