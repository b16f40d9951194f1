import type { Review } from '../../src/approvals/review.types.ts';
import type { DecisionKeyring } from '../../src/approvals/signing/decision-keys.ts';
import {
  type GrantCheck,
  type HeldCall,
  verifyApproval,
  verifyRejection,
} from '../../src/approvals/signing/verify-grant.ts';
import type { DecisionCheck } from './hold.ts';

/**
 * The gateway's check of every decision it acts on (src/approvals/signing/verify-grant.ts), plus
 * what one replica can add that Redis cannot fake: the signatures of single-call approvals it has
 * already forwarded on. A `once` approval replayed into Redis (its "used" mark removed) is
 * refused here as a forgery, for as long as such an approval could be claimed at all.
 */
export interface DecisionVerifier {
  /** The check for one held call. */
  forCall(held: HeldCall): DecisionCheck;
}

export function createDecisionVerifier(options: {
  keyring: DecisionKeyring;
  onceGrantMs: number;
  now?: () => number;
}): DecisionVerifier {
  const now = options.now ?? Date.now;
  /** signature → when it stops mattering. */
  const used = new Map<string, number>();
  const sweep = (at: number): void => {
    for (const [sig, until] of used) if (until <= at) used.delete(sig);
  };

  const approval = (review: Review, held: HeldCall): GrantCheck => {
    const at = now();
    const check = verifyApproval(review, held, options.keyring, {
      now: at,
      onceGrantMs: options.onceGrantMs,
    });
    if (!check.ok || check.grant !== 'once') return check;
    const sigs = review.decisions.flatMap((d) =>
      d.action === 'approve' && d.proof && d.proof.fingerprint === held.fingerprint ? [d.proof.sig] : [],
    );
    sweep(at);
    if (sigs.some((sig) => used.has(sig))) {
      return { ok: false, why: 'its single-call approval was already used on this gateway (replayed)' };
    }
    for (const sig of sigs) used.set(sig, at + options.onceGrantMs * 2);
    return check;
  };

  return {
    forCall: (held) => ({
      approval: (review) => approval(review, held),
      rejection: (review) => verifyRejection(review, held, options.keyring),
    }),
  };
}
