import type { Review } from '../../src/approvals/review.types.ts';
import type { TeamsSettings } from '../../src/config/teams.ts';
import type { CardModel } from '../model/card.ts';
import type { Reply } from '../model/reply.ts';
import { type AdaptiveCard, adaptiveCard, CONTENT_TYPE } from '../render/teams/card.ts';
import { replyCard } from '../render/teams/reply-card.ts';
import { type ChatPoster, ChatRateLimitedError, ChatRejectedError, type MessageRef } from './chat-poster.ts';
import type { TeamsConnector } from './teams-connector.ts';
import type { TeamsReferences } from './teams-references.ts';

/**
 * Teams' {@link ChatPoster}, over the Bot Framework connector:
 *
 * - a card starts a new thread in its channel (`POST /v3/conversations` with the channel in
 *   `channelData`, Teams' proactive "new post"); the location keeps the channel, the root
 *   activity id and the connector's `serviceUrl`, all an update or a reply needs;
 * - a card change replaces the activity (`PUT /v3/conversations/{channel}/activities/{id}`);
 * - a reply goes into the card's thread (`replyToId` = the card's activity);
 * - a no-review session summary is a post of its own in `teams.sessionsChannel`.
 *
 * The connector's URL is `teams.serviceUrl`, else the one captured when the app was installed in
 * the team (teams-references.ts); a channel with neither is refused for good with a sentence.
 *
 * Errors become the worker's two kinds: HTTP 429 → {@link ChatRateLimitedError} with its
 * `Retry-After` (1 s when absent); 400, 401, 403, 404 and 413 → {@link ChatRejectedError}
 * (retrying cannot fix them); anything else (5xx, a timeout) is thrown as is and retried.
 */
const PERMANENT = new Set([400, 401, 403, 404, 413]);

export function createTeamsPoster(
  connector: TeamsConnector,
  settings: TeamsSettings,
  references: TeamsReferences,
): ChatPoster {
  const serviceUrlFor = async (channel: string): Promise<string> => {
    const url = settings.serviceUrl ?? (await references.serviceUrlOf(channel));
    if (!url)
      throw new ChatRejectedError('no-service-url: set teams.serviceUrl or install the app in the team');
    return url;
  };
  const newPost = async (channel: string, card: AdaptiveCard): Promise<MessageRef> => {
    const serviceUrl = await serviceUrlFor(channel);
    const created = await call(() =>
      connector.conversations(serviceUrl).create({
        isGroup: true,
        channelData: {
          channel: { id: channel },
          ...(settings.tenantId ? { tenant: { id: settings.tenantId } } : {}),
        },
        activity: message(card),
      }),
    );
    if (!created.activityId) throw new Error('the connector created the post without an activity id');
    return { channel, ts: created.activityId, serviceUrl };
  };
  const refOf = async (ref: MessageRef): Promise<string> => ref.serviceUrl ?? serviceUrlFor(ref.channel);

  return {
    platform: 'teams',
    sessionsChannel: settings.sessionsChannel,
    channelFor(review: Review) {
      return (
        review.rule.notify?.teams?.channel ??
        settings.clusterChannels[review.cluster] ??
        settings.defaultChannel
      );
    },
    postCard(channel: string, card: CardModel) {
      return newPost(channel, adaptiveCard(card));
    },
    async updateCard(ref: MessageRef, card: CardModel) {
      const serviceUrl = await refOf(ref);
      await call(() =>
        connector
          .conversations(serviceUrl)
          .activities(ref.channel)
          .update(ref.ts, { ...message(adaptiveCard(card)), id: ref.ts }),
      );
    },
    async postReply(ref: MessageRef, reply: Reply) {
      const serviceUrl = await refOf(ref);
      await call(() =>
        connector
          .conversations(serviceUrl)
          .activities(ref.channel)
          .reply(ref.ts, message(replyCard(reply))),
      );
    },
    async postMessage(channel: string, reply: Reply) {
      await newPost(channel, replyCard(reply));
    },
  };
}

/** A message activity carrying one Adaptive Card. */
export function message(card: AdaptiveCard) {
  return {
    type: 'message' as const,
    attachments: [{ contentType: CONTENT_TYPE, content: card }],
  };
}

/** Runs a connector call, translating its HTTP failures for the notify worker. */
async function call<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const response = (error as { response?: { status?: number; headers?: Record<string, unknown> } })
      .response;
    const status = response?.status;
    if (status === 429) {
      const seconds = Number(response?.headers?.['retry-after']);
      const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 3600) * 1000 : 1000;
      throw new ChatRateLimitedError(ms);
    }
    if (status !== undefined && PERMANENT.has(status)) throw new ChatRejectedError(`http-${status}`);
    if (status !== undefined) throw new Error(`the Teams connector answered HTTP ${status}`);
    throw new Error(`the Teams connector is unreachable: ${(error as Error).message}`);
  }
}
