import type { Review } from '../../src/approvals/review.types.ts';
import type { CardModel } from '../model/card.ts';
import type { ChatPlatform } from '../model/interaction.ts';
import type { Reply } from '../model/reply.ts';

/**
 * What the notify worker needs from a chat platform: where a review's card goes, and posting,
 * updating and threading under it. Slack (slack-poster.ts) and Teams (teams-poster.ts) implement it; the
 * worker's pacing, retries and bookkeeping stay the same for both.
 *
 * Implementations translate their SDK's failures into the two errors below, so the worker can
 * tell "wait and retry" and "give up" apart without knowing any SDK.
 */
export interface MessageRef {
  /** The channel (Slack channel id; Teams channel conversation id). */
  channel: string;
  /** The platform's message id (Slack `ts`; Teams activity id). */
  ts: string;
  /**
   * Teams only: the Bot Framework connector that holds the conversation (`serviceUrl`), which an
   * update or a reply must go to.
   */
  serviceUrl?: string;
}

export interface ChatPoster {
  readonly platform: ChatPlatform;
  /** The channel for the review's card (rule, else cluster, else default); `undefined`: none. */
  channelFor(review: Review): string | undefined;
  /**
   * The workspace whose limit message updates count against, when the platform limits updates
   * per workspace rather than per channel (Slack: `chat.update` is Tier 3, about 50 a minute
   * per workspace). Absent: updates are not paced.
   */
  updateWorkspace?(): Promise<string>;
  /** Posts the card; resolves to where it landed (the channel id, which may differ from a #name). */
  postCard(channel: string, card: CardModel): Promise<MessageRef>;
  updateCard(ref: MessageRef, card: CardModel): Promise<void>;
  /** A reply in the card's thread. */
  postReply(ref: MessageRef, reply: Reply): Promise<void>;
  /**
   * Where summaries of recorded sessions without a review go (they have no card to thread under);
   * `undefined`: nowhere, the worker completes such jobs without posting.
   */
  readonly sessionsChannel: string | undefined;
  /** A plain message (not threaded, no card) in `channel`. */
  postMessage(channel: string, reply: Reply): Promise<void>;
}

/** The platform said "too many requests": retry after `retryAfterMs`, not before. */
export class ChatRateLimitedError extends Error {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number, options: { cause?: unknown } = {}) {
    super(`chat platform rate limit: retry after ${retryAfterMs} ms`, options);
    this.name = 'ChatRateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** The platform refused for good (no such channel, bad token, invalid blocks): do not retry. */
export class ChatRejectedError extends Error {
  readonly code: string;
  constructor(code: string, options: { cause?: unknown } = {}) {
    super(`chat platform refused the message: ${code}`, options);
    this.name = 'ChatRejectedError';
    this.code = code;
  }
}
