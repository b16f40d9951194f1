import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { decideInteraction, refusalFor } from '../dispatch/decisions.ts';
import type { DispatchDeps } from '../dispatch/deps.ts';
import { buildCard } from '../model/card.ts';
import type { ChatActor, Interaction } from '../model/interaction.ts';
import { MAX_REASON_CHARS } from '../model/interaction.ts';
import type { Reply } from '../model/reply.ts';
import { ACTION_IDS, parseWindowValue, REJECT_VIEW } from '../render/slack/ids.ts';
import { impactModal } from '../render/slack/impact-modal.ts';
import { parseRejectContext, rejectModal } from '../render/slack/reject-modal.ts';
import { replyMessage } from '../render/slack/reply-blocks.ts';

/**
 * The card's buttons and the reject modal, wired into bolt. Transport only: each handler acks at
 * once (Slack wants an answer within 3 s, and the HTTP receiver sends it on `ack()`), turns the
 * payload into an {@link Interaction} and hands it to the dispatch layer. What the clicker is told
 * comes back as a Reply and goes out as an ephemeral message; a decision that took effect needs
 * none, because the card itself changes for everyone.
 *
 * Only the button's `value` (the review id) is read from the payload; the review is re-read and
 * the decision authorized by the store, so a forged value can at most name another review the
 * same person could decide anyway.
 */
export function registerInteractions(app: App, deps: DispatchDeps, logger?: Logger): void {
  const actorOf = (body: BlockAction): ChatActor => ({
    platform: 'slack',
    userId: body.user.id,
    ...(body.user.name ? { name: body.user.name } : {}),
  });
  const channelOf = (body: BlockAction): string | undefined => body.channel?.id ?? body.container?.channel_id;

  const decideAndAnswer = async (client: webApi.WebClient, body: BlockAction, interaction: Interaction) => {
    const answer = await decideInteraction(deps, interaction);
    logger?.info(
      {
        reviewId: interaction.reviewId,
        slackUser: interaction.actor.userId,
        action: interaction.action,
        outcome: answer.outcome,
      },
      'slack decision',
    );
    if (answer.outcome !== 'applied') await ephemeral(client, channelOf(body), body.user.id, answer.reply);
  };

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approve, async ({ ack, body, action, client }) => {
    await ack();
    await decideAndAnswer(client, body, {
      action: 'approve',
      reviewId: action.value ?? '',
      actor: actorOf(body),
    });
  });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approveWindow, async ({ ack, body, action, client }) => {
    await ack();
    const parsed = parseWindowValue(action.value ?? '');
    if (!parsed) return;
    const interaction: Interaction = { action: 'approve-window', ...parsed, actor: actorOf(body) };
    await decideAndAnswer(client, body, interaction);
  });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.reject, async ({ ack, body, action, client }) => {
    await ack();
    const reviewId = action.value ?? '';
    const channel = channelOf(body);
    // The modal opens first, before any lookup: Slack's trigger_id expires 3 s after the click,
    // and a user lookup or a slow Redis must not eat that time. Who may reject is checked on
    // submit (the reject-reason view below), and again by the store when the decision is applied.
    await client.views.open({
      trigger_id: body.trigger_id,
      view: rejectModal({ reviewId, ...(channel ? { channel } : {}) }),
    });
  });

  // Anyone who sees the card may read its preview: the details hold nothing the card's readers
  // may not see (masked, computed as the agent), so there is no approver check here.
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.impactDetails, async ({ ack, body, action, client }) => {
    await ack();
    const review = await deps.store.get(action.value ?? '');
    if (!review) return;
    await client.views.open({ trigger_id: body.trigger_id, view: impactModal(buildCard(review)) });
  });

  app.view(REJECT_VIEW.callbackId, async ({ ack, body, view, client }) => {
    const reason = view.state.values[REJECT_VIEW.block]?.[REJECT_VIEW.action]?.value?.trim() ?? '';
    const context = parseRejectContext(view.private_metadata);
    if (!context) {
      await ack();
      return;
    }
    if (!reason) {
      await ack({
        response_action: 'errors',
        errors: { [REJECT_VIEW.block]: 'Say why: the agent sees this reason.' },
      });
      return;
    }
    await ack();
    const actor: ChatActor = {
      platform: 'slack',
      userId: body.user.id,
      ...(body.user.name ? { name: body.user.name } : {}),
    };
    const interaction: Interaction = {
      action: 'reject',
      reviewId: context.reviewId,
      actor,
      reason: reason.slice(0, MAX_REASON_CHARS),
    };
    // The click opened the modal unchecked, so the submit is authorized here: approver
    // identity, the review's state and the rule (approver groups, self-approval).
    const refusal = await refusalFor(deps, actor, context.reviewId, 'reject');
    if (refusal) {
      logger?.info(
        { reviewId: context.reviewId, slackUser: actor.userId, action: 'reject', outcome: 'refused' },
        'slack decision',
      );
      await ephemeral(client, context.channel, body.user.id, refusal);
      return;
    }
    const answer = await decideInteraction(deps, interaction);
    logger?.info(
      { reviewId: context.reviewId, slackUser: actor.userId, action: 'reject', outcome: answer.outcome },
      'slack decision',
    );
    if (answer.outcome !== 'applied') await ephemeral(client, context.channel, body.user.id, answer.reply);
  });
}

/** Tells one user something in the channel of the card; nowhere to say it → nothing said. */
export async function ephemeral(
  client: webApi.WebClient,
  channel: string | undefined,
  user: string,
  reply: Reply,
): Promise<void> {
  if (!channel) return;
  await client.chat.postEphemeral({ channel, user, ...replyMessage(reply) });
}
