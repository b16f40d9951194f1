import type { JobsOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { Review, ReviewEvent, ReviewState } from '../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import type { NotifyQueueSource } from '../../src/queues/chat-thread.ts';
import { type NotifyEvent, type NotifyJob, notifyJobId, QUEUE_NAMES } from '../../src/queues/names.ts';
import type { CardLocations } from './card-locations.ts';
import type { ChatPoster } from './chat-poster.ts';

/**
 * Keeps cards in step with review records, whoever changed them (a Slack click, the terminal
 * approver, Teams, the expire job). Two mechanisms, the second covering the first's gaps:
 *
 * 1. **Events.** The store publishes every state change; each bot replica turns it into a notify
 *    job (`decided`, `expired`, `cancelled`, or `created` for a new review) whose id comes from
 *    the review and the event, so N replicas hearing one event make one job and one update.
 * 2. **Sweep.** Pub/sub is at-most-once (a reconnecting subscriber misses messages), and a notify
 *    job can exhaust its attempts during a long chat outage. Every `sweepMs` each replica
 *    re-checks the cards that still show "pending" and the pending reviews that have no card,
 *    and enqueues a `sync` (keyed by the record version, so it too is made once) or retries the
 *    failed `created` job. No review is left without a card, and no card stays stale.
 */
export interface CardSyncOptions {
  store: Pick<ReviewStore, 'get' | 'list' | 'subscribe'>;
  /** The notify queue (ReviewProducers satisfies it). */
  queues: NotifyQueueSource;
  locations: CardLocations;
  posters: ChatPoster[];
  /** Default 30 s. */
  sweepMs?: number;
  /** Delivery of the jobs this enqueues. Default 8 attempts, exponential from 2 s. */
  attempts?: number;
  backoffMs?: number;
  logger?: Logger;
}

const EVENT_FOR: Record<ReviewState, NotifyEvent> = {
  pending: 'created',
  approved: 'decided',
  rejected: 'decided',
  expired: 'expired',
  cancelled: 'cancelled',
};

export class CardSync {
  readonly #options: CardSyncOptions;
  readonly #jobOptions: JobsOptions;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(options: CardSyncOptions) {
    this.#options = options;
    const keep = { age: 86_400 };
    this.#jobOptions = {
      attempts: options.attempts ?? 8,
      backoff: { type: 'exponential', delay: options.backoffMs ?? 2000 },
      removeOnComplete: keep,
      removeOnFail: keep,
    };
  }

  /** Subscribes to review events and starts the sweep (running one at once). */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#options.store.subscribe((event) => void this.#onEvent(event));
    this.#timer = setInterval(() => void this.sweep(), this.#options.sweepMs ?? 30_000);
    this.#timer.unref();
    void this.sweep();
  }

  stop(): void {
    this.#unsubscribe?.();
    clearInterval(this.#timer);
  }

  /** Asks the notify worker to re-render `review`'s card; `key` makes the job id unique. */
  async enqueue(reviewId: string, event: NotifyEvent, key?: string | number): Promise<void> {
    const data: NotifyJob = { reviewId, event };
    const jobId = notifyJobId(reviewId, event, key);
    await this.#options.queues
      .queue(QUEUE_NAMES.notify)
      .add(QUEUE_NAMES.notify, data, { ...this.#jobOptions, jobId });
  }

  /** A counted approval changes no state and publishes nothing; the card shows the count. */
  counted(review: Review): Promise<void> {
    return this.enqueue(review.id, 'counted', review.decisions.length);
  }

  /** One pass over open cards and card-less pending reviews; concurrent calls share a pass. */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep()
      .catch((error: unknown) =>
        this.#options.logger?.warn({ err: error }, 'card sweep failed; next pass retries'),
      )
      .finally(() => {
        this.#sweeping = undefined;
      });
    return this.#sweeping;
  }

  async #onEvent(event: ReviewEvent): Promise<void> {
    try {
      await this.enqueue(event.id, EVENT_FOR[event.state]);
    } catch (error) {
      // Redis hiccup: the sweep will notice the stale card.
      this.#options.logger?.warn({ err: error, reviewId: event.id }, 'could not enqueue a card update');
    }
  }

  async #sweep(): Promise<void> {
    const { store, locations, posters } = this.#options;
    for (const poster of posters) {
      for (const id of await locations.openCards(poster.platform)) {
        const review = await store.get(id);
        if (!review) {
          await locations.forget(poster.platform, id);
          continue;
        }
        const shown = await locations.get(poster.platform, id);
        if (shown && (shown.state !== review.state || shown.version !== review.updatedAt)) {
          await this.enqueue(id, 'sync', review.updatedAt);
        }
      }
    }
    const pending = await store.list({ state: 'pending', limit: 200 });
    const queue = this.#options.queues.queue(QUEUE_NAMES.notify);
    for (const review of pending) {
      const missing = [];
      for (const poster of posters) {
        if (poster.channelFor(review) && !(await locations.get(poster.platform, review.id)))
          missing.push(poster);
      }
      if (missing.length === 0) continue;
      const job = await queue.getJob(notifyJobId(review.id, 'created'));
      if (!job) await this.enqueue(review.id, 'created');
      else if (await job.isFailed()) await job.retry('failed');
    }
  }
}
