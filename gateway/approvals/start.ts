import type { Logger } from 'pino';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import type { GatewaySigning } from '../../src/approvals/signing/load-signing.ts';
import type { ApprovalsSettings } from '../../src/config/approvals.ts';
import {
  createRequestConnection,
  createWorkerConnection,
  describeRedis,
  type RedisConnection,
  type RedisSettings,
} from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { replicationFor } from '../../src/redis/replication.ts';
import type { ApprovalsRuntime, ReviewObserver } from '../runtime.ts';
import { createDecisionVerifier } from './decision-verifier.ts';
import { startExpireWorker } from './expire-worker.ts';

/**
 * The gateway's side of the approvals engine, started once with the gateway:
 * - one fail-fast request connection for the review store and the queue producers (a dead Redis
 *   costs a held request about a second, then a 503; a Redis that returns is used again without
 *   a restart, since ioredis keeps reconnecting);
 * - the store's events subscriber, started at once so the first held request does not wait for it;
 * - the expire worker on its own patient connection: every replica runs one, BullMQ hands each
 *   deadline job to exactly one of them, and an expiry also enqueues the card update.
 * Nothing here fails start-up when Redis is down: the gateway serves allowed requests regardless.
 */
export interface StartedApprovals {
  runtime: ApprovalsRuntime;
  /** The request-path Redis connection (readiness probes PING it). */
  connection: RedisConnection;
  /** Stops the worker and closes every connection; bounded, so a dead Redis cannot hang shutdown. */
  close(): Promise<void>;
}

/** How long an unclaimed single-call approval is usable (the store's default, stated once here). */
const ONCE_GRANT_SECONDS = 600;

/** How long close() waits for the worker and queues to close before cutting the connections. */
const CLOSE_GRACE_MS = 2000;
/** Connection errors repeat on every reconnect attempt; log one, then at most one per period. */
const ERROR_LOG_PERIOD_MS = 30_000;

export function startApprovals(
  settings: ApprovalsSettings,
  logger: Logger,
  signing: GatewaySigning,
  options: { pollMs?: number; observer?: ReviewObserver; redis?: RedisSettings } = {},
): StartedApprovals {
  const onError = throttled((error: Error) =>
    logger.warn(
      { err: error.message, redis: describeRedis(settings.redisUrl, options.redis) },
      'approvals: Redis is unreachable; requests that need review get 503 until it is back',
    ),
  );
  const connection = createRequestConnection({
    url: settings.redisUrl,
    name: 'hoop-gateway',
    onError,
    redis: options.redis,
  });
  const store = new ReviewStore({
    connection,
    prefix: settings.storePrefix,
    claimAllowlist: settings.claimAllowlist,
    signer: signing.signer,
    onceGrantSeconds: ONCE_GRANT_SECONDS,
    replication: replicationFor(options.redis),
  });
  const verifier = createDecisionVerifier({
    keyring: signing.keyring,
    onceGrantMs: ONCE_GRANT_SECONDS * 1000,
  });
  const producers = new ReviewProducers({ connection, prefix: settings.queuePrefix });
  const workerConnection = createWorkerConnection({
    url: settings.redisUrl,
    name: 'hoop-gateway-expire',
    onError,
    redis: options.redis,
  });
  const worker = startExpireWorker({
    connection: workerConnection,
    store,
    prefix: settings.queuePrefix,
    onExpired: (review) => {
      options.observer?.decided(review, 'expired');
      return producers.enqueueNotify(review, 'expired');
    },
    onError,
  });
  store.events.start().catch(() => undefined); // retried by the first held request

  const runtime: ApprovalsRuntime = {
    store,
    producers,
    settings,
    verifier,
    keyring: signing.keyring,
    signerKeyId: signing.signer.keyId,
  };
  if (options.pollMs) runtime.pollMs = options.pollMs;
  if (options.observer) runtime.observer = options.observer;
  return {
    runtime,
    connection,
    close: async () => {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
      });
      await Promise.race([Promise.allSettled([worker.close(), producers.close(), store.close()]), grace]);
      clearTimeout(timer);
      connection.disconnect();
      workerConnection.disconnect();
    },
  };
}

function throttled(log: (error: Error) => void): (error: Error) => void {
  let last = 0;
  return (error) => {
    const now = Date.now();
    if (now - last < ERROR_LOG_PERIOD_MS) return;
    last = now;
    log(error);
  };
}
