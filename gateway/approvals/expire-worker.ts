import { DelayedError, type Job, Worker } from 'bullmq';
import type { Review } from '../../src/approvals/review.types.ts';
import type { ExpireResult } from '../../src/approvals/review-store.types.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { DEFAULT_QUEUE_PREFIX, type ExpireJob, QUEUE_NAMES } from '../../src/queues/names.ts';

/**
 * The expire queue's worker: when a review's deadline job fires, move the review from pending to
 * expired. The store's expire script does the transition and publishes the event in one atomic
 * step, so a last-second approval and the expiry cannot both win, and held requests waiting on
 * the review wake up.
 *
 * A job that fires before the deadline by the store's clock (clock skew between hosts) is put
 * back until the deadline instead of expiring early. A failure (Redis down) fails the job, and
 * BullMQ retries it with the backoff the producer set.
 */

/** The one store method the worker needs; a `ReviewStore` satisfies it. */
export interface ExpireTarget {
  expire(id: string, now?: number): Promise<ExpireResult>;
}

export interface ExpireWorkerOptions {
  /** A worker connection (`maxRetriesPerRequest: null`, queues/connections.ts); not closed here. */
  connection: RedisConnection;
  store: ExpireTarget;
  /** BullMQ key prefix. Default {@link DEFAULT_QUEUE_PREFIX}; must match the producers'. */
  prefix?: string;
  /** Jobs processed at once. Default 4. */
  concurrency?: number;
  /**
   * Called when the job finds the review expired — by this job, or earlier by a decide or a
   * retried request that noticed the deadline — e.g. to enqueue the card update (idempotent by
   * job id). A failure fails the job, and the retry calls it again.
   */
  onExpired?: (review: Review) => Promise<void> | void;
  /** Worker errors (connection trouble); default ignore, since jobs are retried. */
  onError?: (error: Error) => void;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** Starts processing the expire queue; close the returned worker on shutdown. */
export function startExpireWorker(options: ExpireWorkerOptions): Worker<ExpireJob, string> {
  const now = options.now ?? Date.now;
  const processor = async (job: Job<ExpireJob, string>, token?: string): Promise<string> => {
    const result = await options.store.expire(job.data.reviewId, now());
    if (result.outcome === 'not-due' && result.review) {
      await job.moveToDelayed(result.review.deadline, token);
      throw new DelayedError();
    }
    if (result.review?.state === 'expired' && options.onExpired) await options.onExpired(result.review);
    return result.outcome;
  };
  const worker = new Worker<ExpireJob, string>(QUEUE_NAMES.expire, processor, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
    concurrency: options.concurrency ?? 4,
  });
  worker.on('error', options.onError ?? (() => undefined));
  return worker;
}
