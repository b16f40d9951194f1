import { UnrecoverableError } from 'bullmq';
import type { Review } from '../../src/approvals/review.types.ts';
import type { ReviewStore } from '../../src/approvals/review-store.ts';
import type { ReviewNotifyJob, SessionSummaryJob } from '../../src/queues/names.ts';
import { buildCard } from '../model/card.ts';
import type { CardLocation, CardLocations } from './card-locations.ts';
import { type ChatPoster, ChatRateLimitedError } from './chat-poster.ts';
import type { NotifyAttempt } from './notify-attempt.ts';
import { outcomeReply, sessionSummaryMessage, summaryReply } from './thread-replies.ts';

/** What one job did on one platform; the job's result lists them as `<platform>:<step>`. */
type Step = 'posted' | 'updated' | 'up-to-date' | 'no-card' | 'no-channel' | 'replied' | 'not-found';

export interface NotifyJobsOptions {
  store: Pick<ReviewStore, 'get'>;
  posters: readonly ChatPoster[];
  locations: CardLocations;
  /** The window the card's "approve for a while" button offers, in seconds. */
  windowSeconds: number;
  /** The web console's public URL: cards and summaries link to it. */
  consoleUrl?: string | undefined;
}

/**
 * What a notify job does, per chat platform (the contract is on `startNotifyWorker`, notify.ts).
 * Every method that posts goes through the {@link NotifyAttempt}, which owns pacing and the
 * meaning of failures; this class only decides what to post where.
 */
export class NotifyJobs {
  readonly #options: NotifyJobsOptions;

  constructor(options: NotifyJobsOptions) {
    this.#options = options;
  }

  /** Runs the attempt's job on every platform; resolves to the steps taken, e.g. `slack:posted`. */
  async run(attempt: NotifyAttempt): Promise<string> {
    const data = attempt.job.data;
    if (data.event === 'session-summary') return this.#sessionSummary(data, attempt);
    const review = await this.#options.store.get(data.reviewId);
    if (!review) return 'not-found';
    const threaded = data.event === 'completed' || data.event === 'summary';
    const steps: string[] = [];
    for (const poster of this.#options.posters) {
      try {
        const step = threaded
          ? await this.#reply(poster, review, data, attempt)
          : await this.#sync(poster, review, data, attempt);
        steps.push(`${poster.platform}:${step}`);
      } catch (error) {
        // Only a 429 needs the channel (to hold it off for everyone); look it up only then.
        const channel =
          error instanceof ChatRateLimitedError
            ? ((await this.#options.locations.get(poster.platform, review.id))?.channel ??
              poster.channelFor(review))
            : undefined;
        await attempt.fail(error, poster, channel, { reviewId: review.id });
      }
    }
    return steps.join(',');
  }

  /** Brings the card in step with the record: updates it, or posts it for `created` / pending `sync`. */
  async #sync(
    poster: ChatPoster,
    review: Review,
    data: ReviewNotifyJob,
    attempt: NotifyAttempt,
  ): Promise<Step> {
    const location = await this.#options.locations.get(poster.platform, review.id);
    if (location) {
      if (location.version === review.updatedAt && location.state === review.state) return 'up-to-date';
      await attempt.paceUpdate(poster);
      await poster.updateCard(location, this.#card(review));
      await this.#remember(poster, location, review);
      return 'updated';
    }
    if (data.event !== 'created' && data.event !== 'sync') return 'no-card';
    if (data.event === 'sync' && review.state !== 'pending') return 'no-card';
    return this.#post(poster, review, attempt);
  }

  /** Posts the card, then re-reads the record so a change that raced the post still shows. */
  async #post(poster: ChatPoster, review: Review, attempt: NotifyAttempt): Promise<Step> {
    const channel = poster.channelFor(review);
    if (!channel) return 'no-channel';
    await attempt.pace(poster, channel);
    const ref = await poster.postCard(channel, this.#card(review));
    await this.#remember(poster, ref, review);
    const fresh = await this.#options.store.get(review.id);
    if (fresh && fresh.updatedAt !== review.updatedAt) {
      await attempt.paceUpdate(poster);
      await poster.updateCard(ref, this.#card(fresh));
      await this.#remember(poster, ref, fresh);
    }
    return 'posted';
  }

  /** A reply in the card's thread; before the card exists it throws, so BullMQ retries later. */
  async #reply(
    poster: ChatPoster,
    review: Review,
    data: ReviewNotifyJob,
    attempt: NotifyAttempt,
  ): Promise<Step> {
    const message =
      data.event === 'completed' && data.outcome
        ? outcomeReply(review, data.outcome)
        : data.summary
          ? summaryReply(data.summary, this.#options.consoleUrl)
          : undefined;
    if (!message) throw new UnrecoverableError(`${data.event} job without its payload`);
    const location = await this.#options.locations.get(poster.platform, review.id);
    if (!location) {
      if (!poster.channelFor(review)) return 'no-channel';
      throw new Error(`the card of ${review.id} is not posted yet; the reply waits for it`);
    }
    await attempt.pace(poster, location.channel);
    await poster.postReply(location, message);
    return 'replied';
  }

  /** A no-review session's summary, to each poster's sessions channel (if it has one). */
  async #sessionSummary(data: SessionSummaryJob, attempt: NotifyAttempt): Promise<string> {
    const steps: string[] = [];
    for (const poster of this.#options.posters) {
      const channel = poster.sessionsChannel;
      if (!channel) {
        steps.push(`${poster.platform}:no-channel`);
        continue;
      }
      try {
        await attempt.pace(poster, channel);
        await poster.postMessage(channel, sessionSummaryMessage(data, this.#options.consoleUrl));
        steps.push(`${poster.platform}:posted`);
      } catch (error) {
        await attempt.fail(error, poster, channel, { sessionId: data.sessionId });
      }
    }
    return steps.join(',');
  }

  #card(review: Review) {
    return buildCard(review, {
      windowSeconds: this.#options.windowSeconds,
      consoleUrl: this.#options.consoleUrl,
    });
  }

  /** Records where the card is and which version of the review it shows. */
  #remember(poster: ChatPoster, ref: Omit<CardLocation, 'state' | 'version'>, shown: Review): Promise<void> {
    const location = { ...ref, state: shown.state, version: shown.updatedAt };
    return this.#options.locations.save(poster.platform, shown.id, location, shown.deadline);
  }
}
