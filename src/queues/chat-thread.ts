import type { JobsOptions, Queue } from 'bullmq';
import { ApprovalsUnavailableError } from '../approvals/unavailable-error.ts';
import {
  type CallOutcome,
  type NotifyJob,
  notifyJobId,
  QUEUE_NAMES,
  type SessionSummaryJob,
  sessionSummaryJobId,
} from './names.ts';

/**
 * Replies in a review card's thread, published by whoever knows what happened next: the gateway
 * when the held call completes, the session recorder when the session closes. Both go through the
 * notify queue, so the bot's notify worker posts them with the same per-channel pacing, 429
 * handling and retries as the card itself, and a reply that arrives before its card was posted
 * (Slack down) waits for the card instead of getting lost.
 *
 * The job id is derived from the review (and the session), so publishing twice (a retried
 * request, a second replica, a recorder restart) threads one reply.
 *
 * The gateway's review stage calls {@link publishCallOutcome} once the call it held (and that an
 * approval let through) has finished, fire-and-forget: a failure here must never fail the call.
 *
 * ```ts
 * const started = Date.now();
 * // … forward the approved call …
 * res.once('finish', () => {
 *   publishCallOutcome(producers, review.id, {
 *     status: res.statusCode, durationMs: Date.now() - started, completedAt: Date.now(),
 *   }).catch((err) => logger.warn({ err }, 'could not publish the call outcome'));
 * });
 * ```
 */

/** Where the notify queue comes from: `ReviewProducers` satisfies it. */
export interface NotifyQueueSource {
  queue(name: string): Queue;
}

/** Like the card's own job: retried with backoff for about eight minutes of chat outage. */
const JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 86_400 },
  removeOnFail: { age: 86_400 },
};

/** The longest summary text threaded; longer text is cut (the bot shows that it was). */
export const MAX_SUMMARY_CHARS = 2800;

/** Threads "completed: 200 in 1.2 s" under the review's card; once per review. */
export async function publishCallOutcome(
  source: NotifyQueueSource,
  reviewId: string,
  outcome: CallOutcome,
): Promise<void> {
  const data: NotifyJob = { reviewId, event: 'completed', outcome };
  await add(source, data, notifyJobId(reviewId, 'completed'));
}

/**
 * Threads a recorded session's summary under the card of every review in `reviewIds`; once per
 * session and review. For the recorder's `session-close` worker.
 */
export async function publishSessionSummary(
  source: NotifyQueueSource,
  input: { sessionId: string; reviewIds: readonly string[]; text: string },
): Promise<void> {
  const summary = { sessionId: input.sessionId, text: input.text.slice(0, MAX_SUMMARY_CHARS) };
  await Promise.all(
    input.reviewIds.map((reviewId) => {
      const data: NotifyJob = { reviewId, event: 'summary', summary };
      return add(source, data, notifyJobId(reviewId, 'summary', input.sessionId));
    }),
  );
}

/**
 * Publishes the summary of a session that had no review (so no card to thread under); once per
 * session. For the recorder's `session-close` worker, which publishes it whatever the chat config:
 * the bot posts it to `slack.sessionsChannel` if set, else completes the job without posting, so
 * only the bot needs to know where (and whether) such summaries go.
 */
export async function publishNoReviewSummary(
  source: NotifyQueueSource,
  input: { sessionId: string; cluster: string; text: string },
): Promise<void> {
  const data: SessionSummaryJob = {
    event: 'session-summary',
    sessionId: input.sessionId,
    cluster: input.cluster,
    text: input.text.slice(0, MAX_SUMMARY_CHARS),
  };
  await add(source, data, sessionSummaryJobId(input.sessionId));
}

async function add(source: NotifyQueueSource, data: NotifyJob, jobId: string): Promise<void> {
  try {
    await source.queue(QUEUE_NAMES.notify).add(QUEUE_NAMES.notify, data, { ...JOB_OPTIONS, jobId });
  } catch (error) {
    throw new ApprovalsUnavailableError('could not enqueue a chat thread reply', { cause: error });
  }
}
