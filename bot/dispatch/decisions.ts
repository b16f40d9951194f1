import { authorizeDecision } from '../../src/approvals/authorize.ts';
import { decideAudited } from '../../src/approvals/decide-audited.ts';
import type { DecideOutcome, DecideResult, Review } from '../../src/approvals/review.types.ts';
import { ApprovalsUnavailableError } from '../../src/approvals/unavailable-error.ts';
import { windowLabel } from '../model/card.ts';
import { commandText } from '../model/command.ts';
import type { ChatActor, ChatPlatform, Interaction, InteractionAction } from '../model/interaction.ts';
import { bold, code, date, plain, type Reply, say } from '../model/reply.ts';
import type { DispatchDeps } from './deps.ts';

/**
 * Applying a chat decision: the one place where a click (or `/hoop approve`) becomes a decision,
 * through the path every channel shares (src/approvals/decide-audited.ts: authorize, sign with
 * the bot's key, audit line). Platform receivers build an {@link Interaction}; this maps the chat
 * user to an approver, lets the store authorize and apply atomically, and answers with a
 * {@link Reply} that says what happened and why, in words written for the person who clicked.
 *
 * Card updates are not done here: the store publishes every state change and the bot's card sync
 * re-renders the card from the record (workers/card-sync.ts), so a decision made here, in the
 * terminal or in Teams updates every card the same way. A counted approval (more needed) changes
 * no state, so it is passed to `deps.onCounted` for the card to show the count.
 */
export interface DecisionAnswer {
  /** The store's outcome, or `refused` (no approver identity) / `unavailable` (Redis down). */
  outcome: DecideOutcome | 'refused' | 'unavailable';
  reply: Reply;
  review?: Review;
}

export async function decideInteraction(
  deps: DispatchDeps,
  interaction: Interaction,
): Promise<DecisionAnswer> {
  const { reviewId, actor } = interaction;
  try {
    const who = await deps.approvers.resolve(actor);
    if ('refused' in who) return { outcome: 'refused', reply: say([plain(who.refused)]) };
    const action = interaction.action === 'reject' ? 'reject' : 'approve';
    const result = await decideAudited(
      deps.store,
      {
        reviewId,
        approver: who.approver,
        action,
        via: actor.platform,
        ...(interaction.reason ? { reason: interaction.reason } : {}),
        ...(interaction.action === 'approve-window' && interaction.windowSeconds
          ? { windowSeconds: interaction.windowSeconds }
          : {}),
      },
      deps.logger,
      deps.signerKeyId,
    );
    if (result.outcome === 'counted' && result.review) await deps.onCounted?.(result.review);
    return {
      outcome: result.outcome,
      reply: answer(reviewId, action, result, actor.platform),
      ...reviewOf(result),
    };
  } catch (error) {
    if (error instanceof ApprovalsUnavailableError) return { outcome: 'unavailable', reply: unavailable() };
    throw error;
  }
}

/**
 * Whether `actor` may take `action` on the review, checked before a platform opens a dialog
 * (Slack's reject modal), so a non-approver is told at once instead of after typing a reason.
 * Returns the refusal, or `undefined` when the dialog may open. The decision itself is checked
 * again when it is applied.
 */
export async function refusalFor(
  deps: DispatchDeps,
  actor: ChatActor,
  reviewId: string,
  action: InteractionAction,
): Promise<Reply | undefined> {
  try {
    const who = await deps.approvers.resolve(actor);
    if ('refused' in who) return say([plain(who.refused)]);
    const review = await deps.store.get(reviewId);
    if (!review) return notFound(reviewId, actor.platform);
    if (review.state !== 'pending')
      return answer(reviewId, 'reject', { outcome: 'already-decided', review }, actor.platform);
    const auth = authorizeDecision(review, {
      approver: who.approver,
      action: action === 'reject' ? 'reject' : 'approve',
    });
    return auth.allowed ? undefined : say([plain(`You can't decide ${reviewId}: ${auth.reason}`)]);
  } catch (error) {
    if (error instanceof ApprovalsUnavailableError) return unavailable();
    throw error;
  }
}

function answer(
  id: string,
  action: 'approve' | 'reject',
  result: DecideResult,
  platform: ChatPlatform,
): Reply {
  const review = result.review;
  switch (result.outcome) {
    case 'applied':
      return action === 'approve'
        ? say([
            plain('Approved '),
            code(id),
            plain(grantText(review)),
            plain('. The held call goes through.'),
          ])
        : say([plain('Rejected '), code(id), plain('. The agent gets 403 Forbidden with your reason.')]);
    case 'counted': {
      const count = review ? new Set(review.decisions.map((d) => d.approver.toLowerCase())).size : 1;
      const needed = review?.rule.minApprovals ?? 1;
      return say([
        plain('Your approval of '),
        code(id),
        plain(` is counted: ${count} of ${needed}. Another approver must approve too.`),
      ]);
    }
    case 'already-decided': {
      const state = review?.state ?? 'decided';
      const by = result.decidedBy ?? review?.decidedBy;
      return say([
        plain('Already '),
        bold(state),
        ...(by ? [plain(' by '), bold(by)] : []),
        plain(' ('),
        code(id),
        plain('); your click changed nothing.'),
      ]);
    }
    case 'not-allowed':
      return say([plain(`You can't decide ${id}: ${result.reason ?? 'not allowed.'}`)]);
    case 'expired':
      return say([
        code(id),
        plain(' expired'),
        ...(review ? [plain(' at '), date(review.deadline)] : []),
        plain(' before anyone decided. The agent must run its command again to ask anew.'),
      ]);
    case 'not-found':
      return notFound(id, platform);
  }
}

function grantText(review: Review | undefined): string {
  return review?.grant?.kind === 'window'
    ? ` for ${windowLabel(review.grant.windowSeconds)}`
    : ' (this one call)';
}

export function notFound(id: string, platform: ChatPlatform): Reply {
  return say([
    plain('No review '),
    code(id),
    plain('. Review ids look like '),
    code('r-7f3k2q'),
    plain('; '),
    code(commandText(platform, 'pending')),
    plain(' lists the open ones (records are kept 7 days).'),
  ]);
}

export function unavailable(): Reply {
  return say([
    plain('Approvals are unavailable right now (the gateway cannot reach Redis). Try again shortly.'),
  ]);
}

function reviewOf(result: DecideResult): { review?: Review } {
  return result.review ? { review: result.review } : {};
}
