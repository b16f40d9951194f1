/**
 * The BullMQ queues the gateway and the bot share, their job payloads, and their job ids.
 *
 * Payloads carry ids, not copies of the review: a worker re-reads the record, so it always acts
 * on the current state, and no request detail is duplicated into job data (which BullMQ keeps
 * after completion). Job ids are derived from the review id (for a no-review session's summary,
 * the session id), and BullMQ refuses a second job with an id it still holds, so enqueuing again
 * (a retried request, a second replica) never posts a second card or schedules a second expiry.
 */

/** Queue names; all live under one BullMQ key prefix (default {@link DEFAULT_QUEUE_PREFIX}). */
export const QUEUE_NAMES = {
  /** Post or update a review's card in Slack / Teams. */
  notify: 'notify',
  /** A delayed job at a review's deadline that expires it if still pending. */
  expire: 'expire',
  /** Reserved: debounced end of a recorded session (summary, archive, thread under the card). */
  sessionClose: 'session-close',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

/** BullMQ's key prefix for hoop-gateway's queues (`hoop:notify:…`). */
export const DEFAULT_QUEUE_PREFIX = 'hoop';

/**
 * What a notify job asks the bot to do for a review. `created` posts the card; `decided`,
 * `counted`, `expired`, `cancelled` and `sync` re-render it from the current record (the event
 * name only makes the job id unique); `completed` and `summary` reply in the card's thread.
 * (A no-review session's summary is a {@link SessionSummaryJob}, not a review event.)
 */
export type NotifyEvent =
  | 'created'
  | 'decided'
  | 'counted'
  | 'expired'
  | 'cancelled'
  | 'sync'
  | 'completed'
  | 'summary';

/** How the held call ended, for the thread reply under its card (chat-thread.ts). */
export interface CallOutcome {
  /** The HTTP status the agent got (upstream's, or the gateway's own for a refusal). */
  status: number;
  /** How long the forwarded call itself took, in ms. */
  durationMs: number;
  /** Epoch ms when the response finished. */
  completedAt: number;
}

/** A recorded session's summary, threaded under the card of each review it contains. */
export interface SessionSummary {
  sessionId: string;
  /** Plain text (no markup; the bot escapes it), at most 2,800 characters. */
  text: string;
}

/** A notify job about one review: its card, or a reply in the card's thread. */
export interface ReviewNotifyJob {
  reviewId: string;
  event: NotifyEvent;
  /** For `completed`. */
  outcome?: CallOutcome;
  /** For `summary`. */
  summary?: SessionSummary;
}

/**
 * The summary of a recorded session that had no review, so has no card to thread under. The
 * recorder publishes it for every such session without knowing the chat config; the bot posts it
 * to `slack.sessionsChannel` when one is configured, else completes the job without posting.
 */
export interface SessionSummaryJob extends SessionSummary {
  event: 'session-summary';
  /** The session's cluster, shown with the summary. */
  cluster: string;
}

/** What the notify queue carries: `event` tells the two kinds apart. */
export type NotifyJob = ReviewNotifyJob | SessionSummaryJob;

export interface ExpireJob {
  reviewId: string;
  /** Epoch ms; the job's delay was computed from it. */
  deadline: number;
}

/** Reserved for the session recorder; fixed here so producer and worker agree. */
export interface SessionCloseJob {
  sessionId: string;
  /** Review ids whose cards get the session summary threaded under them. */
  reviewIds: string[];
}

/**
 * The notify job id for one event of one review: each event is posted once, however many times
 * it is enqueued. `key` tells apart events that happen more than once (the n-th counted approval,
 * a session id, a record version). (BullMQ job ids must not contain `:`, and review ids never do.)
 */
export function notifyJobId(reviewId: string, event: NotifyEvent, key?: string | number): string {
  return key === undefined
    ? `${reviewId}-${event}`
    : `${reviewId}-${event}-${String(key).replaceAll(':', '_')}`;
}

/**
 * The job id of a no-review session's summary: one post per session, however often the recorder's
 * close job is retried. The `session-summary-` prefix keeps it apart from review-keyed ids.
 */
export function sessionSummaryJobId(sessionId: string): string {
  return `session-summary-${sessionId.replaceAll(':', '_')}`;
}

/** The expire job id: one expiry per review. */
export function expireJobId(reviewId: string): string {
  return reviewId;
}
