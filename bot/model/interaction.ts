/**
 * What a person did in chat, as platform-neutral data: a button click or a modal submission
 * becomes an {@link Interaction}, whatever the transport. A receiver (Slack or Teams)
 * builds it and hands it to the dispatch layer (bot/dispatch/), which alone applies decisions.
 */

/** The chat platforms the bot speaks; recorded decisions use the same words (`via`). */
export type ChatPlatform = 'slack' | 'teams';

/** Who clicked, as the platform identifies them (not yet an approver identity). */
export interface ChatActor {
  platform: ChatPlatform;
  /** The platform's user id (Slack `U…`, a Teams AAD object id). */
  userId: string;
  /** A display name, for messages only; never used to decide anything. */
  name?: string;
}

export type InteractionAction = 'approve' | 'approve-window' | 'reject';

export interface Interaction {
  action: InteractionAction;
  reviewId: string;
  actor: ChatActor;
  /** Required for `reject` (the modal asks for it); optional otherwise. */
  reason?: string;
  /** For `approve-window`: the window the button offered. */
  windowSeconds?: number;
}

/** The longest reason recorded (the store keeps 500 characters). */
export const MAX_REASON_CHARS = 500;
