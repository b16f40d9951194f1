import type { HistoryEvent, Review } from './review.types.ts';
import type { DecisionKeyring } from './signing/decision-keys.ts';
import { checkProof } from './signing/decision-proof.ts';

/**
 * A review as the approvals API and the web console return it: the record, its history, and for each decision
 * whether its signature verifies under this gateway's keys (a forged decision shows as such in
 * `reviews show`). The proof itself (signature bytes) is left out: clients have no use for it.
 */
export interface ReviewView extends Omit<Review, 'decisions'> {
  decisions: Array<
    Review['decisions'][number] & { signature: { verified: boolean; keyId?: string; problem?: string } }
  >;
  history: HistoryEvent[];
}

export function reviewView(review: Review, history: HistoryEvent[], keyring: DecisionKeyring): ReviewView {
  return {
    ...review,
    decisions: review.decisions.map((decision) => {
      const { proof, ...rest } = decision;
      const check = checkProof(decision, keyring);
      const signature = check.ok
        ? { verified: true, keyId: check.keyId }
        : {
            verified: false,
            ...(proof?.keyId ? { keyId: String(proof.keyId).slice(0, 40) } : {}),
            problem: check.why,
          };
      return { ...rest, signature };
    }),
    history,
  };
}
