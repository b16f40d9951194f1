import type { Logger } from 'pino';
import type { RecordingSettings } from '../../src/config/recording.ts';
import type { CompiledMaskingPolicy } from '../../src/masking/policy.ts';
import type { CompiledPolicy } from '../../src/policy/policy.types.ts';
import {
  createRequestConnection,
  createWorkerConnection,
  describeRedis,
  type RedisConnection,
  type RedisSettings,
} from '../../src/queues/connections.ts';
import { probeWritable } from '../../src/recording/archive.ts';
import { writeOncePerTurn } from '../../src/redis/turn-writes.ts';
import { CloseQueue } from './close-queue.ts';
import { type CloseWorker, startCloseWorker } from './close-worker.ts';
import { DetachedWrites } from './detached-writes.ts';
import { RecordingStore } from './session-store.ts';
import { RecordingSpool, type SpoolTarget } from './spool.ts';

/**
 * The gateway's side of recording, started once with the gateway (only when `recording:` is
 * configured):
 * - a fail-fast request connection for the live store and the close-job producer, so a dead
 *   Redis costs a request about a second and then a 503 (when `required`), and a Redis that
 *   returns is used again without a restart;
 * - a health probe of the archive directory every few seconds: while it cannot be written the
 *   gateway refuses requests (when `required`), since closed sessions could not be archived;
 * - the session-close worker on its own patient connection (every replica may run one; BullMQ
 *   hands each session's job to exactly one of them).
 * Start-up fails only when the archive directory cannot be created at all (a configuration error).
 */

/** What the record stage and the upgrade terminal use. */
export interface RecordingRuntime {
  settings: RecordingSettings;
  store: RecordingStore;
  closeQueue: CloseQueue;
  /** The masking policy: recorded bodies are masked under the caller's rules (Secrets always). */
  masking: CompiledMaskingPolicy;
  /** For `allowUnrecordedStreams` (top level or on the rule that allowed the call). */
  policy: CompiledPolicy;
  logger: Logger;
  /** False while the archive directory cannot be written. */
  archiveWritable(): boolean;
  /** The local spool for events Redis cannot take (`recording.spool`); undefined: none. */
  spool?: RecordingSpool | undefined;
  /** Response events the requests did not wait for; `close()` lets them reach Redis first. */
  detachedWrites: DetachedWrites;
}

export interface StartedRecording {
  runtime: RecordingRuntime;
  /** The request-path Redis connection (readiness probes PING it). */
  connection: RedisConnection;
  close(): Promise<void>;
}

const PROBE_MS = 5000;
const CLOSE_GRACE_MS = 2000;

export async function startRecording(
  settings: RecordingSettings,
  deps: {
    masking: CompiledMaskingPolicy;
    policy: CompiledPolicy;
    logger: Logger;
    redis?: RedisSettings;
  },
): Promise<StartedRecording> {
  const logger = deps.logger;
  await probeWritable(settings.dir);
  let lastWarned = 0;
  const onError = (error: Error): void => {
    if (Date.now() - lastWarned < 30_000) return;
    lastWarned = Date.now();
    logger.warn(
      { err: error.message, redis: describeRedis(settings.redisUrl, deps.redis) },
      settings.required
        ? 'recording: Redis is unreachable; requests get 503 until it is back (recording.required)'
        : 'recording: Redis is unreachable; requests pass unrecorded until it is back',
    );
  };
  const connection = createRequestConnection({
    url: settings.redisUrl,
    name: 'hoop-gateway-recording',
    onError,
    redis: deps.redis,
  });
  // Many sessions' appends are sent in one turn: one write for them all (turn-writes.ts).
  writeOncePerTurn(connection);
  const store = new RecordingStore({
    redis: connection,
    prefix: settings.storePrefix,
    idleGapMs: settings.idleGapMs,
  });
  const closeQueue = new CloseQueue({
    connection,
    prefix: settings.queuePrefix,
    idleGapMs: settings.idleGapMs,
  });

  let writable = true;
  const probe = setInterval(() => {
    probeWritable(settings.dir).then(
      () => {
        writable = true;
      },
      (error: unknown) => {
        if (writable)
          logger.error({ err: error, dir: settings.dir }, 'recording: the archive directory is not writable');
        writable = false;
      },
    );
  }, PROBE_MS);
  probe.unref();

  let workerConnection: ReturnType<typeof createWorkerConnection> | undefined;
  let worker: CloseWorker | undefined;
  if (settings.worker) {
    workerConnection = createWorkerConnection({
      url: settings.redisUrl,
      name: 'hoop-gateway-session-close',
      onError,
      redis: deps.redis,
    });
    worker = startCloseWorker({
      connection: workerConnection,
      redis: workerConnection,
      keys: store.keys,
      dir: settings.dir,
      idleGapMs: settings.idleGapMs,
      prefix: settings.queuePrefix,
      notifyPrefix: settings.notifyPrefix,
      retentionMs: settings.retentionMs,
      onArchived: (id, outcome) =>
        logger.info(
          { session: id, archive: outcome.path, outcomes: outcome.facts.outcomes },
          'session archived',
        ),
      onError: (error) =>
        logger.warn({ err: error.message }, 'recording: a session-close job failed; it is retried'),
    });
  }

  const spool = settings.spool ? new RecordingSpool(settings.spool) : undefined;
  const flusher = spool ? await startSpoolFlusher(spool, store, closeQueue, connection, logger) : undefined;

  const detachedWrites = new DetachedWrites();
  const runtime: RecordingRuntime = {
    detachedWrites,
    settings,
    store,
    closeQueue,
    masking: deps.masking,
    policy: deps.policy,
    logger,
    archiveWritable: () => writable,
    spool,
  };
  return {
    runtime,
    connection,
    close: async () => {
      clearInterval(probe);
      if (flusher) clearInterval(flusher);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      });
      const written = detachedWrites.settled().then(() => store.drain());
      await Promise.race([Promise.allSettled([written, closeQueue.close(), worker?.close()]), grace]);
      clearTimeout(timer);
      connection.disconnect();
      workerConnection?.disconnect();
    },
  };
}

/** How often the spool is offered to Redis while it holds events. */
const SPOOL_FLUSH_MS = 1000;

/**
 * Flushes the spool into Redis whenever it holds events and the connection is ready: once at
 * start (what a previous process left) and then every second.
 */
async function startSpoolFlusher(
  spool: RecordingSpool,
  store: RecordingStore,
  closeQueue: CloseQueue,
  connection: RedisConnection,
  logger: Logger,
): Promise<NodeJS.Timeout> {
  await spool.open();
  const target: SpoolTarget = {
    resolve: async (entry) => {
      const { identity, caller, cluster, userAgent } = entry;
      const { id } = await store.resolve({ identity, caller, cluster, ...(userAgent ? { userAgent } : {}) });
      await closeQueue.ensureScheduled(id);
      return id;
    },
    append: async (id, entry) =>
      (await store.append(id, entry.identity.key, entry.body, entry.updates)).kind === 'ok' ? 'ok' : 'closed',
  };
  const tick = (): void => {
    if (!spool.pending || connection.status !== 'ready') return;
    const bytes = spool.bytes;
    spool
      .flush(target, (why, file) =>
        logger.error({ why, file }, 'recording: the spool does not verify; set aside, not flushed'),
      )
      .then(
        () => {
          if (!spool.pending) logger.info({ bytes }, 'recording: spooled events flushed to Redis');
        },
        (error: unknown) => logger.warn({ err: error }, 'recording: flushing the spool failed; retried'),
      );
  };
  tick();
  const timer = setInterval(tick, SPOOL_FLUSH_MS);
  timer.unref();
  return timer;
}
