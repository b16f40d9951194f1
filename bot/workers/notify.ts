import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Review } from '../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import {
  DEFAULT_QUEUE_PREFIX,
  type NotifyJob,
  QUEUE_NAMES,
  type ReviewNotifyJob,
  type SessionSummaryJob,
} from '../../src/queues/names.ts';
import { buildCard } from '../model/card.ts';
import type { CardLocation, CardLocations } from './card-locations.ts';
import type { ChannelPacer } from './channel-pacer.ts';
import { type ChatPoster, ChatRateLimitedError, ChatRejectedError } from './chat-poster.ts';
import { outcomeReply, sessionSummaryMessage, summaryReply } from './thread-replies.ts';

/**
 * The notify queue's worker: posts each review's card, keeps it in step with the record, and
 * threads replies under it, for every configured chat platform.
 *
 * - `created` posts the card (to the rule's channel, else the cluster's, else the default) unless
 *   one is already recorded, then re-reads the record and updates the card if it changed while
 *   posting, so a decision that raced the post is never left off the card.
 * - `decided`, `counted`, `expired`, `cancelled`, `sync` re-render the card from the current
 *   record (`chat.update`); skipped when the card already shows this version of the record.
 * - `completed` and `summary` reply in the card's thread; before the card exists they fail and
 *   BullMQ retries them with backoff, so they wait for the card.
 * - `session-summary` (a recorded session without a review, so without a card) posts the summary
 *   as a message of its own to the poster's `sessionsChannel`; a poster without one posts nothing
 *   and the job completes. The recorder publishes it once per session (job id from the session
 *   id), so a retried close job does not post it twice.
 *
 * Limits and failures: every post first takes its channel's slot from the {@link ChannelPacer}
 * (one per second per channel across replicas); a job that must wait, or that got a 429, is
 * moved to the delayed set for exactly as long as asked (no attempt spent). Any other failure
 * (the platform down, a timeout) fails the attempt and BullMQ retries with the producer's
 * exponential backoff; a refusal for good (no such channel, bad token) fails the job at once.
 */
export interface NotifyWorkerOptions {
  /** A worker connection (`maxRetriesPerRequest: null`); not closed here. */
  connection: Redis;
  store: Pick<ReviewStore, 'get'>;
  posters: ChatPoster[];
  locations: CardLocations;
  pacer: ChannelPacer;
  /** The window the card's "approve for a while" button offers, in seconds. */
  windowSeconds: number;
  /** BullMQ key prefix; must match the producers'. Default {@link DEFAULT_QUEUE_PREFIX}. */
  prefix?: string;
  /** Default 4. */
  concurrency?: number;
  logger?: Logger;
}

type Step = 'posted' | 'updated' | 'up-to-date' | 'no-card' | 'no-channel' | 'replied' | 'not-found';

export function startNotifyWorker(options: NotifyWorkerOptions): Worker<NotifyJob, string> {
  const { store, locations, pacer, logger } = options;
  const card = (review: Review) => buildCard(review, { windowSeconds: options.windowSeconds });

  const wait = async (job: Job<NotifyJob>, token: string | undefined, ms: number): Promise<never> => {
    await job.moveToDelayed(Date.now() + ms, token);
    throw new DelayedError();
  };

  /** Takes the channel's slot or puts the job back until it is free. */
  const pace = async (poster: ChatPoster, channel: string, job: Job<NotifyJob>, token?: string) => {
    const ms = await pacer.take(poster.platform, channel);
    if (ms > 0) await wait(job, token, ms);
  };

  /**
   * A failed post: after a 429 the channel is held off for everyone and the job waits (no
   * attempt spent); a refusal for good fails the job; anything else is retried with backoff.
   */
  const fail = async (
    error: unknown,
    poster: ChatPoster,
    channel: string | undefined,
    job: Job<NotifyJob>,
    token: string | undefined,
    context: Record<string, string>,
  ): Promise<never> => {
    if (error instanceof ChatRateLimitedError) {
      if (channel) await pacer.holdOff(poster.platform, channel, error.retryAfterMs);
      logger?.warn({ ...context, retryAfterMs: error.retryAfterMs }, 'chat rate limit; job waits');
      await wait(job, token, error.retryAfterMs);
    }
    if (error instanceof ChatRejectedError) {
      logger?.error({ ...context, code: error.code, event: job.data.event }, 'chat refused the message');
      throw new UnrecoverableError(error.message);
    }
    throw error;
  };

  const sync = async (
    poster: ChatPoster,
    review: Review,
    data: ReviewNotifyJob,
    job: Job<NotifyJob>,
    token?: string,
  ): Promise<Step> => {
    const { platform } = poster;
    // Where the card is, and which version of the review it shows.
    const remember = (ref: Omit<CardLocation, 'state' | 'version'>, shown: Review) =>
      locations.save(
        platform,
        shown.id,
        { ...ref, state: shown.state, version: shown.updatedAt },
        shown.deadline,
      );
    const location = await locations.get(platform, review.id);
    if (location) {
      if (location.version === review.updatedAt && location.state === review.state) return 'up-to-date';
      await poster.updateCard(location, card(review));
      await remember(location, review);
      return 'updated';
    }
    if (data.event !== 'created' && data.event !== 'sync') return 'no-card';
    if (data.event === 'sync' && review.state !== 'pending') return 'no-card';
    const channel = poster.channelFor(review);
    if (!channel) return 'no-channel';
    await pace(poster, channel, job, token);
    const ref = await poster.postCard(channel, card(review));
    await remember(ref, review);
    const fresh = await store.get(review.id);
    if (fresh && fresh.updatedAt !== review.updatedAt) {
      await poster.updateCard(ref, card(fresh));
      await remember(ref, fresh);
    }
    return 'posted';
  };

  const reply = async (
    poster: ChatPoster,
    review: Review,
    data: ReviewNotifyJob,
    job: Job<NotifyJob>,
    token?: string,
  ): Promise<Step> => {
    const message =
      data.event === 'completed' && data.outcome
        ? outcomeReply(review, data.outcome)
        : data.summary
          ? summaryReply(data.summary)
          : undefined;
    if (!message) throw new UnrecoverableError(`${data.event} job without its payload`);
    const location = await locations.get(poster.platform, review.id);
    if (!location) {
      if (!poster.channelFor(review)) return 'no-channel';
      throw new Error(`the card of ${review.id} is not posted yet; the reply waits for it`);
    }
    await pace(poster, location.channel, job, token);
    await poster.postReply(location, message);
    return 'replied';
  };

  /** A no-review session's summary, to each poster's sessions channel (if it has one). */
  const postSessionSummary = async (
    data: SessionSummaryJob,
    job: Job<NotifyJob>,
    token?: string,
  ): Promise<string> => {
    const steps: string[] = [];
    for (const poster of options.posters) {
      const channel = poster.sessionsChannel;
      if (!channel) {
        steps.push(`${poster.platform}:no-channel`);
        continue;
      }
      try {
        await pace(poster, channel, job, token);
        await poster.postMessage(channel, sessionSummaryMessage(data));
        steps.push(`${poster.platform}:posted`);
      } catch (error) {
        await fail(error, poster, channel, job, token, { sessionId: data.sessionId });
      }
    }
    return steps.join(',');
  };

  const processor = async (job: Job<NotifyJob, string>, token?: string): Promise<string> => {
    const data = job.data;
    if (data.event === 'session-summary') return postSessionSummary(data, job, token);
    const review = await store.get(data.reviewId);
    if (!review) return 'not-found';
    const steps: string[] = [];
    for (const poster of options.posters) {
      try {
        const threaded = data.event === 'completed' || data.event === 'summary';
        steps.push(`${poster.platform}:${await (threaded ? reply : sync)(poster, review, data, job, token)}`);
      } catch (error) {
        const channel =
          error instanceof ChatRateLimitedError
            ? ((await locations.get(poster.platform, review.id))?.channel ?? poster.channelFor(review))
            : undefined;
        await fail(error, poster, channel, job, token, { reviewId: review.id });
      }
    }
    return steps.join(',');
  };

  const worker = new Worker<NotifyJob, string>(QUEUE_NAMES.notify, processor, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
    concurrency: options.concurrency ?? 4,
  });
  worker.on('error', (error) => logger?.warn({ err: error }, 'notify worker error'));
  worker.on('failed', (job, error) => {
    if (error instanceof DelayedError || error.name === 'DelayedError') return;
    logger?.warn(
      {
        ...(job?.data.event === 'session-summary'
          ? { sessionId: job.data.sessionId }
          : { reviewId: job?.data.reviewId }),
        event: job?.data.event,
        attempt: job?.attemptsMade,
        err: error.message,
      },
      'notify job failed',
    );
  });
  return worker;
}
