import { type JobsOptions, Queue } from 'bullmq';
import type { RedisConnection } from '../../src/queues/connections.ts';
import { QUEUE_NAMES, type SessionCloseJob } from '../../src/queues/names.ts';
import { RecordingUnavailableError, withRecordingRedis } from './unavailable-error.ts';

/**
 * The producer side of the `session-close` queue: one delayed job per session, job id = session
 * id, due one idle gap after the session opened. The job is debounced by its worker rather than
 * by the producer: when it fires on a session that saw activity since, the worker moves it to
 * the session's new due time (close-worker.ts). So no request pays for a queue write; only the
 * first request a process sees for a session does, and that is idempotent by job id, which
 * also covers a replica that crashed between opening a session and scheduling its close.
 */

export interface CloseQueueOptions {
  /** The fail-fast request connection; not closed here. */
  connection: RedisConnection;
  /** BullMQ key prefix. */
  prefix: string;
  idleGapMs: number;
  readyTimeoutMs?: number;
}

const JOB_OPTIONS: JobsOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 86_400 },
  removeOnFail: { age: 7 * 86_400 },
};

/** Sessions this process has scheduled; bounded, since a re-add is harmless. */
const MAX_REMEMBERED = 10_000;

export class CloseQueue {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  #queue: Queue<SessionCloseJob> | undefined;
  readonly #idleGapMs: number;
  readonly #readyMs: number;
  readonly #scheduled = new Set<string>();

  constructor(options: CloseQueueOptions) {
    this.#connection = options.connection;
    this.#idleGapMs = options.idleGapMs;
    this.#readyMs = options.readyTimeoutMs ?? 1000;
    this.#prefix = options.prefix;
  }

  /**
   * The queue, created once the connection is ready (BullMQ's start-up fails for good on a
   * connection that is not) and recreated when its start-up failed, as ReviewProducers does.
   */
  async #ready(): Promise<Queue<SessionCloseJob>> {
    let queue = this.#queue;
    if (!queue) {
      queue = new Queue<SessionCloseJob>(QUEUE_NAMES.sessionClose, {
        connection: this.#connection,
        prefix: this.#prefix,
        skipWaitingForReady: true,
      });
      queue.on('error', () => undefined);
      this.#queue = queue;
    }
    try {
      await queue.waitUntilReady();
      return queue;
    } catch (error) {
      this.#queue = undefined;
      queue.close().catch(() => undefined);
      throw new RecordingUnavailableError('the session-close queue could not start', { cause: error });
    }
  }

  /** True when this process has scheduled the session's close job already. */
  isScheduled(sessionId: string): boolean {
    return this.#scheduled.has(sessionId);
  }

  /** Schedules the session's close job once per process (BullMQ ignores a second add). */
  async ensureScheduled(sessionId: string): Promise<void> {
    if (this.#scheduled.has(sessionId)) return;
    const data: SessionCloseJob = { sessionId, reviewIds: [] };
    await withRecordingRedis(this.#connection, this.#readyMs, async () => {
      const queue = await this.#ready();
      try {
        await queue.add(QUEUE_NAMES.sessionClose, data, {
          ...JOB_OPTIONS,
          jobId: sessionId,
          delay: this.#idleGapMs,
        });
      } catch (error) {
        throw new RecordingUnavailableError('the session-close job could not be scheduled', { cause: error });
      }
    });
    this.#scheduled.add(sessionId);
    if (this.#scheduled.size > MAX_REMEMBERED) {
      const oldest = this.#scheduled.values().next().value;
      if (oldest !== undefined) this.#scheduled.delete(oldest);
    }
  }

  async close(): Promise<void> {
    await this.#queue?.close().catch(() => undefined);
    this.#queue = undefined;
  }
}
