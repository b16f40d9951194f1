import { DelayedError, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { DEFAULT_QUEUE_PREFIX, type NotifyJob, QUEUE_NAMES } from '../../src/queues/names.ts';
import type { CardLocations } from './card-locations.ts';
import type { ChannelPacer } from './channel-pacer.ts';
import type { ChatPoster } from './chat-poster.ts';
import { NotifyAttempt } from './notify-attempt.ts';
import { NotifyJobs } from './notify-jobs.ts';

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
 *
 * The work is split three ways: this file wires the BullMQ worker and logs failed jobs,
 * {@link NotifyJobs} decides what each job posts where, and {@link NotifyAttempt} paces posts
 * and turns chat failures into BullMQ outcomes.
 */
export interface NotifyWorkerOptions {
  /** A worker connection (`maxRetriesPerRequest: null`); not closed here. */
  connection: RedisConnection;
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

export function startNotifyWorker(options: NotifyWorkerOptions): Worker<NotifyJob, string> {
  const { pacer, logger } = options;
  const jobs = new NotifyJobs(options);
  const worker = new Worker<NotifyJob, string>(
    QUEUE_NAMES.notify,
    (job, token) => jobs.run(new NotifyAttempt(job, token, pacer, logger)),
    {
      connection: options.connection,
      prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
      concurrency: options.concurrency ?? 4,
    },
  );
  worker.on('error', (error) => logger?.warn({ err: error }, 'notify worker error'));
  worker.on('failed', (job, error) => {
    // A job moved to the delayed set ends its attempt with DelayedError: waiting, not failing.
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
