import { type JobsOptions, Queue } from 'bullmq';
import type { Review } from '../approvals/review.types.ts';
import { ApprovalsUnavailableError, whenReady } from '../approvals/unavailable-error.ts';
import type { RedisConnection } from './connections.ts';
import {
  DEFAULT_QUEUE_PREFIX,
  type ExpireJob,
  expireJobId,
  type NotifyEvent,
  type NotifyJob,
  notifyJobId,
  QUEUE_NAMES,
} from './names.ts';

/**
 * The request path's side of the queues: post a review's card (notify) and schedule its expiry
 * (expire). Both are idempotent — the job id comes from the review id — so the gateway calls
 * {@link ReviewProducers.ensureQueued} for every attempt that finds a pending review; a retry, a
 * second replica, or a crash between creating a review and enqueuing its jobs all end with
 * exactly one card and one expiry.
 *
 * Runs on the fail-fast request connection: a dead Redis makes these calls reject with
 * `ApprovalsUnavailableError` within about a second. BullMQ queues are created only once the
 * connection is ready and are recreated if their start-up failed, so an outage at boot does not
 * leave a queue that never works.
 */
export interface ReviewProducersOptions {
  /** The fail-fast request connection (queues/connections.ts); not closed by the producers. */
  connection: RedisConnection;
  /** BullMQ key prefix. Default {@link DEFAULT_QUEUE_PREFIX}. */
  prefix?: string;
  /** How long to wait for a (re)connecting Redis. Default 1000 ms. */
  readyTimeoutMs?: number;
  /** Notify delivery: attempts (default 8) with exponential backoff from `backoffMs` (default 2000). */
  notify?: { attempts?: number; backoffMs?: number };
  /** Expire delivery: attempts (default 5) with exponential backoff from `backoffMs` (default 1000). */
  expire?: { attempts?: number; backoffMs?: number };
  /**
   * How long finished jobs are kept. A job id deduplicates only while BullMQ still holds the job,
   * so this must outlast a review's life (its timeout plus retries). Default 86 400 s.
   */
  keepFinishedSeconds?: number;
}

export class ReviewProducers {
  readonly prefix: string;
  readonly #connection: RedisConnection;
  readonly #readyMs: number;
  readonly #notifyOptions: JobsOptions;
  readonly #expireOptions: JobsOptions;
  readonly #queues = new Map<string, Queue>();

  constructor(options: ReviewProducersOptions) {
    this.prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.#connection = options.connection;
    this.#readyMs = options.readyTimeoutMs ?? 1000;
    const keep = { age: options.keepFinishedSeconds ?? 86_400 };
    this.#notifyOptions = {
      attempts: options.notify?.attempts ?? 8,
      backoff: { type: 'exponential', delay: options.notify?.backoffMs ?? 2000 },
      removeOnComplete: keep,
      removeOnFail: keep,
    };
    this.#expireOptions = {
      attempts: options.expire?.attempts ?? 5,
      backoff: { type: 'exponential', delay: options.expire?.backoffMs ?? 1000 },
      removeOnComplete: keep,
      removeOnFail: keep,
    };
  }

  /** Asks the bot to post (or, for later events, update) the review's card; once per event. */
  async enqueueNotify(review: Pick<Review, 'id'>, event: NotifyEvent = 'created'): Promise<void> {
    const data: NotifyJob = { reviewId: review.id, event };
    await this.#add(QUEUE_NAMES.notify, data, {
      ...this.#notifyOptions,
      jobId: notifyJobId(review.id, event),
    });
  }

  /** A delayed job at the review's deadline; once per review. */
  async scheduleExpire(review: Pick<Review, 'id' | 'deadline'>, now: number = Date.now()): Promise<void> {
    const data: ExpireJob = { reviewId: review.id, deadline: review.deadline };
    const delay = Math.max(0, review.deadline - now);
    await this.#add(QUEUE_NAMES.expire, data, {
      ...this.#expireOptions,
      jobId: expireJobId(review.id),
      delay,
    });
  }

  /** Both of the above for a pending review; a no-op for any other state. Safe to call repeatedly. */
  async ensureQueued(review: Review, now: number = Date.now()): Promise<void> {
    if (review.state !== 'pending') return;
    await Promise.all([this.enqueueNotify(review), this.scheduleExpire(review, now)]);
  }

  /** The BullMQ queue for `name` (created on demand); for inspection and tests. */
  queue(name: string): Queue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.#connection,
        prefix: this.prefix,
        skipWaitingForReady: true,
      });
      queue.on('error', () => undefined);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /** Closes the BullMQ queues (not the connection). */
  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.allSettled(queues.map((queue) => queue.close()));
  }

  async #add<T>(name: string, data: T, options: JobsOptions): Promise<void> {
    await whenReady(this.#connection, this.#readyMs);
    const queue = this.queue(name);
    try {
      await queue.waitUntilReady();
    } catch (error) {
      // A queue whose start-up failed stays failed; forget it so the next call starts afresh.
      this.#queues.delete(name);
      queue.close().catch(() => undefined);
      throw new ApprovalsUnavailableError(`the ${name} queue could not start`, { cause: error });
    }
    try {
      await queue.add(name, data, options);
    } catch (error) {
      throw new ApprovalsUnavailableError(`could not enqueue a ${name} job`, { cause: error });
    }
  }
}
