import { isReviewId } from '../../src/approvals/keys.ts';
import { ApprovalsUnavailableError } from '../../src/approvals/unavailable-error.ts';
import { decideInteraction, notFound, unavailable } from '../dispatch/decisions.ts';
import type { DispatchDeps } from '../dispatch/deps.ts';
import { buildCard } from '../model/card.ts';
import type { ChatActor, Interaction } from '../model/interaction.ts';
import { MAX_REASON_CHARS } from '../model/interaction.ts';
import { plain, type Reply, replyText, say } from '../model/reply.ts';
import { adaptiveCard, CONTENT_TYPE, REASON_INPUT, VERBS } from '../render/teams/card.ts';

/**
 * The card's Universal Actions (`invoke` named `adaptiveCard/action`), answered in the invoke's
 * HTTP response, which Teams shows to the person who clicked in place of their copy of the card:
 *
 * - `hoop.refresh` (Teams asking for the current card): the card for the review as it is now;
 * - `hoop.approve`, `hoop.approve-window`, `hoop.reject`: an {@link Interaction} for the dispatch
 *   layer's one decision path ({@link decideInteraction}, the same the Slack receiver calls).
 *   Applied: the refreshed card (decided, no buttons). Refused or too late: the current card with
 *   the refusal above it, which only the clicker sees (Teams' way of an ephemeral answer).
 *
 * Everyone else's copy is updated by the card sync (the store publishes the change); this answer
 * only makes the clicker's copy right at once. Only `reviewId`, `windowSeconds` and the reason are
 * read from `action.data`; the decision is authorized by the store against the verified user.
 */
export interface InvokeResponse {
  statusCode: number;
  type: string;
  value: unknown;
}

export async function answerCardAction(
  deps: DispatchDeps,
  actor: ChatActor,
  value: unknown,
): Promise<InvokeResponse> {
  const action = (value as { action?: { verb?: unknown; data?: Record<string, unknown> } } | undefined)
    ?.action;
  const verb = typeof action?.verb === 'string' ? action.verb : '';
  const data = action?.data ?? {};
  const reviewId = typeof data['reviewId'] === 'string' ? data['reviewId'] : '';
  if (!isReviewId(reviewId)) return messageResponse(notFound(reviewId || '?', 'teams'));
  try {
    if (verb === VERBS.refresh) return await currentCard(deps, reviewId);
    const interaction = interactionOf(verb, reviewId, data, actor);
    if ('refused' in interaction) return await currentCard(deps, reviewId, interaction.refused);
    const answer = await decideInteraction(deps, interaction);
    if (answer.outcome === 'applied' && answer.review) {
      return cardResponse(
        adaptiveCard(
          buildCard(answer.review, { windowSeconds: deps.windowSeconds, consoleUrl: deps.consoleUrl }),
        ),
      );
    }
    return await currentCard(deps, reviewId, answer.reply);
  } catch (error) {
    if (error instanceof ApprovalsUnavailableError) return messageResponse(unavailable());
    throw error;
  }
}

function interactionOf(
  verb: string,
  reviewId: string,
  data: Record<string, unknown>,
  actor: ChatActor,
): Interaction | { refused: Reply } {
  switch (verb) {
    case VERBS.approve:
      return { action: 'approve', reviewId, actor };
    case VERBS.approveWindow: {
      const seconds = Number(data['windowSeconds']);
      if (!Number.isInteger(seconds) || seconds <= 0)
        return { refused: say([plain('That button is broken.')]) };
      return { action: 'approve-window', reviewId, actor, windowSeconds: seconds };
    }
    case VERBS.reject: {
      const reason = typeof data[REASON_INPUT] === 'string' ? data[REASON_INPUT].trim() : '';
      if (!reason) return { refused: say([plain('Say why: the agent sees this reason.')]) };
      return { action: 'reject', reviewId, actor, reason: reason.slice(0, MAX_REASON_CHARS) };
    }
    default:
      return { refused: say([plain('This card is from another version of the bot; nothing was changed.')]) };
  }
}

/** The review's card as it is now, with `notice` for the one who sees this answer. */
async function currentCard(deps: DispatchDeps, reviewId: string, notice?: Reply): Promise<InvokeResponse> {
  const review = await deps.store.get(reviewId);
  if (!review) return messageResponse(notFound(reviewId, 'teams'));
  const card = buildCard(review, { windowSeconds: deps.windowSeconds, consoleUrl: deps.consoleUrl });
  return cardResponse(adaptiveCard(card, notice ? { notice: notice.lines } : {}));
}

function cardResponse(card: unknown): InvokeResponse {
  return { statusCode: 200, type: CONTENT_TYPE, value: card };
}

/** A plain text answer (Teams shows it as a toast-like message to the clicker). */
export function messageResponse(reply: Reply): InvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: replyText(reply) };
}
