import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { registerRevival } from '../redis/ended.ts';
import { outageWaitOf, setOutageWait } from '../redis/outage-wait.ts';
import {
  clusterOptions,
  dataNodeOptions,
  type RedisSettings,
  reconnectOnReadonly,
  sentinelOptions,
} from './redis-settings.ts';

export type { RedisSettings } from './redis-settings.ts';
export { describeRedis, redactRedisUrl } from './redis-settings.ts';

/**
 * Redis connections, two kinds for two jobs, each for any of the three topologies (one server,
 * Sentinel, Cluster: see redis-settings.ts). Both return a {@link RedisConnection}: a `Redis`, or a
 * `Cluster` when `redis.cluster` is configured; the commands are the same.
 *
 * - The **request-path** connection ({@link createRequestConnection}) serves a held HTTP request:
 *   it must fail fast. No offline queue (a command while disconnected errors at once instead of
 *   waiting for a reconnect), one retry per command, a short connect and command timeout, and a
 *   quick reconnect loop, so a dead Redis costs a request about a second and a Redis that comes
 *   back (or a new primary after a failover) is used again without a restart.
 * - The **worker** connection ({@link createWorkerConnection}) serves BullMQ workers, which block
 *   on Redis and must wait out outages: `maxRetriesPerRequest: null` (BullMQ requires it for
 *   workers) and the offline queue on.
 *
 * Both get an `error` listener, so a connection refused is reported to `onError` (or dropped)
 * instead of ioredis printing "Unhandled error event" for every reconnect attempt.
 */
export type RedisConnection = Redis | Cluster;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `REDIS_URL` from the environment, or the local default. */
export function redisUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env['REDIS_URL'] || DEFAULT_REDIS_URL;
}

export interface ConnectionOptions {
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://…`, for the single-server topology
   * (ignored with `redis.sentinel` or `redis.cluster`). Default {@link redisUrlFromEnv}.
   */
  url?: string;
  /** Topology, ACL user, password and TLS material (see {@link RedisSettings}). */
  redis?: RedisSettings | undefined;
  /** Shown in `CLIENT LIST`. */
  name?: string;
  /** Called with connection errors (refused, reset, timeouts). Default: ignore; calls report them. */
  onError?: (error: Error) => void;
}

export interface RequestConnectionOptions extends ConnectionOptions {
  /** Give up connecting after this long. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Fail a command Redis has not answered after this long (a hung server). Default 1500 ms. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts. Default 500 ms. */
  maxReconnectDelayMs?: number;
  /**
   * How long a call retries through a Redis outage before it fails (redis/outage-wait.ts).
   * Default `redis.failoverWaitMs`, else {@link DEFAULT_FAILOVER_WAIT_MS} with Sentinel or
   * Cluster and 0 (fail at once) with one server.
   */
  outageWaitMs?: number;
}

/** How long request-path calls wait for a new primary when the topology has failover. */
export const DEFAULT_FAILOVER_WAIT_MS = 20_000;

/** A fail-fast connection for the request path (approvals store, queue producers). */
export function createRequestConnection(options: RequestConnectionOptions = {}): RedisConnection {
  const maxDelay = options.maxReconnectDelayMs ?? 500;
  const retry = (times: number): number => Math.min(times * 100, maxDelay);
  const perNode: RedisOptions = {
    connectionName: options.name ?? 'hoop-request',
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 1500,
  };
  const connection = connect(options, perNode, { offlineQueue: false, retry });
  setOutageWait(connection, options.outageWaitMs ?? failoverWaitMs(options.redis));
  return connection;
}

function failoverWaitMs(settings: RedisSettings | undefined): number {
  if (settings?.failoverWaitMs !== undefined) return settings.failoverWaitMs;
  return settings?.sentinel || settings?.cluster ? DEFAULT_FAILOVER_WAIT_MS : 0;
}

/** A patient connection for BullMQ workers (they duplicate it for their blocking commands). */
export function createWorkerConnection(options: ConnectionOptions = {}): RedisConnection {
  const retry = (times: number): number => Math.min(times * 200, 2000);
  const perNode: RedisOptions = { connectionName: options.name ?? 'hoop-worker', maxRetriesPerRequest: null };
  return connect(options, perNode, { offlineQueue: true, retry });
}

/**
 * A second connection like `connection` (same topology, credentials and timeouts) under another
 * client name: for a subscriber, which can run no other commands. ioredis resubscribes it after
 * every reconnect, also to a new primary or another cluster node.
 */
export function duplicateConnection(connection: RedisConnection, name: string): RedisConnection {
  const duplicate =
    connection instanceof Cluster
      ? connection.duplicate(undefined, {
          redisOptions: { ...connection.options.redisOptions, connectionName: name },
        })
      : connection.duplicate({ connectionName: name });
  if (duplicate instanceof Redis && duplicate.options.sentinels) reviveAfterFailoverRace(duplicate);
  // Listeners are not copied; callers that care add their own.
  duplicate.on('error', noop);
  setOutageWait(duplicate, outageWaitOf(connection));
  return duplicate;
}

function connect(
  options: ConnectionOptions,
  perNode: RedisOptions,
  behaviour: { offlineQueue: boolean; retry: (times: number) => number },
): RedisConnection {
  const url = options.url ?? redisUrlFromEnv();
  const settings = options.redis;
  const auth = dataNodeOptions(url, settings);
  let connection: RedisConnection;
  if (settings?.cluster) {
    connection = new Cluster(
      settings.cluster.nodes.map((node) => ({ host: node.host, port: node.port })),
      {
        ...clusterOptions(settings.cluster),
        enableOfflineQueue: behaviour.offlineQueue,
        clusterRetryStrategy: behaviour.retry,
        redisOptions: { ...auth, ...perNode, reconnectOnError: reconnectOnReadonly },
      },
    );
  } else if (settings?.sentinel) {
    connection = new Redis({
      ...auth,
      ...sentinelOptions(settings.sentinel, settings, behaviour.retry),
      ...perNode,
      enableOfflineQueue: behaviour.offlineQueue,
      retryStrategy: behaviour.retry,
    });
    reviveAfterFailoverRace(connection);
  } else {
    connection = new Redis(url, {
      ...auth,
      ...perNode,
      enableOfflineQueue: behaviour.offlineQueue,
      retryStrategy: behaviour.retry,
    });
  }
  connection.on('error', options.onError ?? noop);
  return connection;
}

/**
 * ioredis 6.0's failover detector disconnects the connector when `+switch-master` arrives; if a
 * reconnect is asking the Sentinels at that moment, the connection ends for good (status `end`,
 * no retry) although nobody closed it. The failover drill hit this. A connection that ends
 * without our `disconnect`/`quit` is connected again, so it finds the new primary.
 */
function reviveAfterFailoverRace(connection: Redis): void {
  const revival = registerRevival(connection);
  const disconnect = connection.disconnect.bind(connection);
  const quit = connection.quit.bind(connection);
  connection.disconnect = (reconnect = false): void => {
    if (!reconnect) revival.closing = true;
    disconnect(reconnect);
  };
  connection.quit = ((...args: Parameters<typeof quit>) => {
    revival.closing = true;
    return quit(...args);
  }) as typeof quit;
  connection.on('end', () => {
    if (revival.closing) return;
    setTimeout(() => {
      if (!revival.closing && connection.status === 'end') connection.connect().catch(noop);
    }, 100).unref();
  });
}

function noop(): void {}
