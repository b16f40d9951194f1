import type { types } from '@slack/bolt';
import { MAX_REASON_CHARS } from '../../model/interaction.ts';
import { plainText } from './escape.ts';
import { REJECT_VIEW } from './ids.ts';

/**
 * The modal the Reject button opens: one required multi-line input for the reason. The review id
 * and the channel of the card travel in `private_metadata` (the bot's own JSON, Slack hands it
 * back unchanged on submit), so the submission handler knows what to reject and where to answer.
 */
export interface RejectContext {
  reviewId: string;
  /** The card's channel, for an ephemeral answer if the rejection is refused. */
  channel?: string;
}

export function rejectModal(context: RejectContext): types.ModalView {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW.callbackId,
    private_metadata: JSON.stringify(context),
    title: plainText('Reject call', 24),
    submit: plainText('Reject', 24),
    close: plainText('Cancel', 24),
    blocks: [
      {
        type: 'input',
        block_id: REJECT_VIEW.block,
        label: plainText(`Why reject ${context.reviewId}?`, 2000),
        hint: plainText('The agent sees this reason in its error message.', 2000),
        element: {
          type: 'plain_text_input',
          action_id: REJECT_VIEW.action,
          multiline: true,
          min_length: 1,
          max_length: MAX_REASON_CHARS,
        },
      },
    ],
  };
}

/** The context from a submitted view's `private_metadata`; `undefined` when it is not ours. */
export function parseRejectContext(metadata: string): RejectContext | undefined {
  try {
    const value: unknown = JSON.parse(metadata);
    if (typeof value !== 'object' || value === null) return undefined;
    const { reviewId, channel } = value as Record<string, unknown>;
    if (typeof reviewId !== 'string') return undefined;
    return { reviewId, ...(typeof channel === 'string' ? { channel } : {}) };
  } catch {
    return undefined;
  }
}
