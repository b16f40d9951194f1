import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { NotifyJob } from '../../src/queues/names.ts';
import type { ChannelPacer } from './channel-pacer.ts';
import { type ChatPoster, ChatRateLimitedError, ChatRejectedError } from './chat-poster.ts';

/**
 * One attempt at one notify job: what the worker does when a post has to wait or failed.
 *
 * Waiting moves the job back to BullMQ's delayed set for exactly as long as asked and ends the
 * attempt with a `DelayedError` (BullMQ's signal for "moved, not failed"), so waiting costs no
 * attempt and no worker slot. Every other outcome is an ordinary throw: BullMQ retries it with
 * the producer's backoff, or not at all for an `UnrecoverableError`.
 */
export class NotifyAttempt {
  readonly job: Job<NotifyJob>;
  readonly #token: string | undefined;
  readonly #pacer: ChannelPacer;
  readonly #logger: Logger | undefined;

  constructor(job: Job<NotifyJob>, token: string | undefined, pacer: ChannelPacer, logger?: Logger) {
    this.job = job;
    this.#token = token;
    this.#pacer = pacer;
    this.#logger = logger;
  }

  /** Takes the channel's slot (one post per interval across replicas), or puts the job back until it is free. */
  async pace(poster: ChatPoster, channel: string): Promise<void> {
    const ms = await this.#pacer.take(poster.platform, channel);
    if (ms > 0) await this.#wait(ms);
  }

  /**
   * Takes the workspace's update slot when the platform limits updates per workspace (Slack's
   * `chat.update`), or puts the job back until it is free.
   */
  async paceUpdate(poster: ChatPoster): Promise<void> {
    if (!poster.updateWorkspace) return;
    const ms = await this.#pacer.takeUpdate(poster.platform, await poster.updateWorkspace());
    if (ms > 0) await this.#wait(ms);
  }

  /**
   * Ends the attempt after a failed post: after a 429 the channel is held off for everyone (when
   * `channel` is known) and the job waits, no attempt spent; a refusal for good fails the job;
   * anything else is rethrown for BullMQ to retry with backoff. `context` goes into the log line.
   */
  async fail(
    error: unknown,
    poster: ChatPoster,
    channel: string | undefined,
    context: Record<string, string>,
  ): Promise<never> {
    if (error instanceof ChatRateLimitedError) {
      if (channel) await this.#pacer.holdOff(poster.platform, channel, error.retryAfterMs);
      this.#logger?.warn({ ...context, retryAfterMs: error.retryAfterMs }, 'chat rate limit; job waits');
      await this.#wait(error.retryAfterMs);
    }
    if (error instanceof ChatRejectedError) {
      this.#logger?.error(
        { ...context, code: error.code, event: this.job.data.event },
        'chat refused the message',
      );
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }

  async #wait(ms: number): Promise<never> {
    await this.job.moveToDelayed(Date.now() + ms, this.#token);
    throw new DelayedError();
  }
}
