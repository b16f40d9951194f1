import type { Logger } from 'pino';
import { decideAudited } from '../../../src/approvals/decide-audited.ts';
import { isReviewId } from '../../../src/approvals/keys.ts';
import { decisionRefusal, parseDecisionBody } from '../../../src/approvals/person-decision.ts';
import type { Approver, Review, ReviewState } from '../../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../../src/approvals/review-store.ts';
import type { DecisionKeyring } from '../../../src/approvals/signing/decision-keys.ts';
import { badRequest } from '../../../src/errors.ts';
import type { ReviewProducers } from '../../../src/queues/review-producers.ts';
import type { ReviewDecision, ReviewDetail, ReviewList } from '../../api.types.ts';
import { notFound } from '../http.ts';
import { reviewItem } from './review-item.ts';

/**
 * The reviews part of the API: the queue (pending first, by deadline, then the rest newest
 * first), one review with its history, and decisions. A decision takes exactly the path every
 * other channel takes (src/approvals/decide-audited.ts): the store authorizes it against the
 * review's own rule (approvers, self-approval, window), signs it with the console's key (role
 * `console`, which the gateway verifies before it forwards anything) and writes the audit line;
 * the chat card is then updated through the notify queue.
 */
export interface ReviewsApiOptions {
  /** A store with the console's signer. */
  store: ReviewStore;
  producers: ReviewProducers;
  keyring: DecisionKeyring;
  signerKeyId: string;
  logger: Logger;
}

const STATES: readonly string[] = ['pending', 'approved', 'rejected', 'expired', 'cancelled'];

export class ReviewsApi {
  readonly #options: ReviewsApiOptions;

  constructor(options: ReviewsApiOptions) {
    this.#options = options;
  }

  async list(params: URLSearchParams, you: Approver): Promise<ReviewList> {
    const state = params.get('state') ?? undefined;
    if (state !== undefined && !STATES.includes(state))
      throw badRequest(`state must be one of ${STATES.join(', ')}`);
    const limitText = params.get('limit') ?? '50';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 200)
      throw badRequest('limit must be a whole number from 1 to 200');
    const { store, keyring } = this.#options;
    let reviews: Review[];
    if (state) reviews = await store.list({ state: state as ReviewState, limit });
    else {
      const pending = await store.list({ state: 'pending', limit });
      const rest = (await store.list({ limit })).filter((r) => r.state !== 'pending');
      reviews = [...pending, ...rest].slice(0, limit);
    }
    return { kind: 'ReviewList', items: reviews.map((review) => reviewItem(review, keyring, you)) };
  }

  async get(id: string, you: Approver): Promise<ReviewDetail> {
    const review = await this.#options.store.get(checkedId(id));
    if (!review) throw notFound(`no review ${id}`);
    return {
      kind: 'Review',
      review: reviewItem(review, this.#options.keyring, you),
      history: await this.#options.store.history(id),
    };
  }

  async decide(
    id: string,
    action: 'approve' | 'reject',
    body: Record<string, unknown>,
    approver: Approver,
  ): Promise<ReviewDecision> {
    const { store, producers, keyring, logger, signerKeyId } = this.#options;
    const { reason, windowSeconds } = parseDecisionBody(action, body);
    const result = await decideAudited(
      store,
      {
        reviewId: checkedId(id),
        approver,
        action,
        via: 'console',
        ...(reason ? { reason } : {}),
        ...(windowSeconds ? { windowSeconds } : {}),
      },
      logger,
      signerKeyId,
    );
    if (result.outcome === 'applied' && result.review) {
      await producers.enqueueNotify(result.review, 'decided').catch(() => undefined);
    }
    const refusal = decisionRefusal(id, result);
    if (refusal) throw refusal;
    if (!result.review) throw notFound(`no review ${id}`);
    return {
      kind: 'ReviewDecision',
      outcome: result.outcome as 'applied' | 'counted',
      review: reviewItem(result.review, keyring, approver),
    };
  }
}

function checkedId(id: string): string {
  if (!isReviewId(id)) throw notFound(`"${id.slice(0, 40)}" is not a review id (they look like r-7f3k2q)`);
  return id;
}
