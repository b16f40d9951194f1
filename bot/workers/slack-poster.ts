import { webApi } from '@slack/bolt';
import type { Review } from '../../src/approvals/review.types.ts';
import type { CardModel } from '../model/card.ts';
import type { Reply } from '../model/reply.ts';
import { cardMessage } from '../render/slack/card-blocks.ts';
import { replyMessage } from '../render/slack/reply-blocks.ts';
import { type ChatPoster, ChatRateLimitedError, ChatRejectedError, type MessageRef } from './chat-poster.ts';

/**
 * Slack's {@link ChatPoster}: `chat.postMessage` for cards, thread replies and no-review session
 * summaries, `chat.update` for card changes. The client must be made with `rejectRateLimitedCalls: true` and no retries of
 * its own (slack-client.ts): retrying and waiting out a 429 is the notify queue's job, where a
 * wait costs no worker and survives a restart.
 *
 * Errors become the worker's two kinds: a 429 → {@link ChatRateLimitedError} with Slack's
 * `Retry-After`; an `ok: false` that retrying cannot fix → {@link ChatRejectedError}. Anything
 * else (Slack down, a 5xx, a timeout) is thrown as is and retried with backoff.
 */
export interface SlackChannels {
  defaultChannel: string | undefined;
  clusterChannels: Record<string, string>;
  /** For summaries of sessions without a review; `undefined`: not posted. */
  sessionsChannel: string | undefined;
}

/** `ok: false` errors that no retry fixes. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'no_text',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);

/** What kind of Slack API failure happened (a bounded set, for the `hoop_slack_api_errors_total` counter). */
export type SlackErrorKind = 'rate_limited' | 'rejected' | 'other';

export function createSlackPoster(
  client: webApi.WebClient,
  channels: SlackChannels,
  onError: (kind: SlackErrorKind) => void = () => undefined,
): ChatPoster {
  const call = <T>(request: () => Promise<T>): Promise<T> => callSlack(request, onError);
  // The bot token's workspace (auth.test's team_id), asked once; `default` while Slack cannot say,
  // which still paces every update of this token under one key.
  let team: string | undefined;
  return {
    platform: 'slack',
    async updateWorkspace() {
      if (team) return team;
      const found = await client.auth.test().then(
        (result) => (typeof result.team_id === 'string' && result.team_id ? result.team_id : undefined),
        () => undefined,
      );
      if (found) team = found;
      return found ?? 'default';
    },
    sessionsChannel: channels.sessionsChannel,
    channelFor(review: Review) {
      return (
        review.rule.notify?.slack?.channel ??
        channels.clusterChannels[review.cluster] ??
        channels.defaultChannel
      );
    },
    async postCard(channel: string, card: CardModel): Promise<MessageRef> {
      const message = cardMessage(card);
      const result = await call(() =>
        client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false }),
      );
      if (!result.ts || !result.channel) throw new Error('chat.postMessage answered without ts/channel');
      return { channel: result.channel, ts: result.ts };
    },
    async updateCard(ref: MessageRef, card: CardModel): Promise<void> {
      await call(() => client.chat.update({ channel: ref.channel, ts: ref.ts, ...cardMessage(card) }));
    },
    async postReply(ref: MessageRef, reply: Reply): Promise<void> {
      const message = replyMessage(reply);
      await call(() =>
        client.chat.postMessage({
          channel: ref.channel,
          thread_ts: ref.ts,
          ...message,
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
    },
    async postMessage(channel: string, reply: Reply): Promise<void> {
      const message = replyMessage(reply);
      await call(() =>
        client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false }),
      );
    },
  };
}

async function callSlack<T>(request: () => Promise<T>, onError: (kind: SlackErrorKind) => void): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const rejected = error instanceof webApi.WebAPIPlatformError && PERMANENT.has(error.data.error);
    onError(
      error instanceof webApi.WebAPIRateLimitedError ? 'rate_limited' : rejected ? 'rejected' : 'other',
    );
    if (error instanceof webApi.WebAPIRateLimitedError) {
      throw new ChatRateLimitedError(error.retryAfter * 1000, { cause: error });
    }
    if (error instanceof webApi.WebAPIPlatformError && PERMANENT.has(error.data.error)) {
      throw new ChatRejectedError(error.data.error, { cause: error });
    }
    throw error;
  }
}
