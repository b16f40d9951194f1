import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { publishNoReviewSummary, publishSessionSummary } from '../../src/queues/chat-thread.ts';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { QUEUE_NAMES, type SessionCloseJob } from '../../src/queues/names.ts';
import { type CloseDeps, type CloseOutcome, closeSession } from './close-session.ts';
import { pruneExpired } from './retention.ts';

/**
 * The `session-close` queue's worker: closes, archives and summarises sessions (close-session.ts),
 * threads the summary under the session's approval cards through the notify queue (the bot posts
 * it), and prunes expired sessions (retention.ts). A session without a review publishes its
 * summary as a `session-summary` job instead: only the bot knows whether a channel for all
 * sessions (`slack.sessionsChannel`) is configured, and completes the job unposted if not.
 *
 * Debounce: a job that finds its session still active is moved to the session's new due time
 * (`moveToDelayed` + `DelayedError`, as BullMQ documents), so each session has one job however
 * many requests it makes. Failures (Redis or the archive directory) fail the job, and BullMQ
 * retries it with the backoff the producer set; every step is safe to repeat.
 */

export interface CloseWorkerOptions extends CloseDeps {
  /** A worker connection (`maxRetriesPerRequest: null`); not closed here. */
  connection: RedisConnection;
  /** BullMQ prefix of the session-close queue. */
  prefix: string;
  /** BullMQ prefix of the bot's notify queue (the approvals prefix). */
  notifyPrefix: string;
  retentionMs: number;
  concurrency?: number;
  /** Called after each archived session (logging, tests). */
  onArchived?: (sessionId: string, outcome: Extract<CloseOutcome, { kind: 'archived' }>) => void;
  onError?: (error: Error) => void;
  now?: () => number;
}

export interface CloseWorker {
  worker: Worker<SessionCloseJob, string>;
  close(): Promise<void>;
}

export function startCloseWorker(options: CloseWorkerOptions): CloseWorker {
  const now = options.now ?? Date.now;
  const notifyQueues = new Map<string, Queue>();
  const notifySource = {
    queue(name: string): Queue {
      let queue = notifyQueues.get(name);
      if (!queue) {
        queue = new Queue(name, { connection: options.connection, prefix: options.notifyPrefix });
        queue.on('error', () => undefined);
        notifyQueues.set(name, queue);
      }
      return queue;
    },
  };

  const processor = async (job: Job<SessionCloseJob, string>, token?: string): Promise<string> => {
    const id = job.data.sessionId;
    const outcome = await closeSession(options, id, now());
    if (outcome.kind === 'wait') {
      await job.moveToDelayed(outcome.dueAt, token);
      throw new DelayedError();
    }
    if (outcome.kind === 'archived') {
      const reviewIds = [...new Set([...job.data.reviewIds, ...outcome.facts.reviewIds])];
      if (reviewIds.length > 0) {
        await publishSessionSummary(notifySource, { sessionId: id, reviewIds, text: outcome.summary });
      } else {
        await publishNoReviewSummary(notifySource, {
          sessionId: id,
          cluster: outcome.facts.cluster,
          text: outcome.summary,
        });
      }
      options.onArchived?.(id, outcome);
      await pruneExpired(options, now()).catch((error: unknown) => options.onError?.(error as Error));
    }
    return outcome.kind;
  };

  const worker = new Worker<SessionCloseJob, string>(QUEUE_NAMES.sessionClose, processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 2,
  });
  worker.on('error', options.onError ?? (() => undefined));
  worker.on('failed', (_job, error) => options.onError?.(error));
  return {
    worker,
    close: async () => {
      await worker.close();
      await Promise.allSettled([...notifyQueues.values()].map((queue) => queue.close()));
    },
  };
}
