import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections, two kinds for two jobs.
 *
 * - The **request-path** connection ({@link createRequestConnection}) serves a held HTTP request:
 *   it must fail fast. No offline queue (a command while disconnected errors at once instead of
 *   waiting for a reconnect), one retry per command, a short connect and command timeout, and a
 *   quick reconnect loop, so a dead Redis costs a request about a second and a Redis that comes
 *   back is used again without a restart.
 * - The **worker** connection ({@link createWorkerConnection}) serves BullMQ workers, which block
 *   on Redis and must wait out outages: `maxRetriesPerRequest: null` (BullMQ requires it for
 *   workers) and the offline queue on.
 *
 * Both get an `error` listener, so a connection refused is reported to `onError` (or dropped)
 * instead of ioredis printing "Unhandled error event" for every reconnect attempt.
 */

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** `REDIS_URL` from the environment, or the local default. */
export function redisUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env['REDIS_URL'] || DEFAULT_REDIS_URL;
}

/**
 * How to authenticate to Redis and verify it, beyond the URL: an ACL user and password (AUTH),
 * and TLS material for `rediss://` (the CA that signed Redis' certificate, a client certificate
 * when Redis asks for one, the name to verify). From the config's `redis:` section
 * (config/redis-security.ts); given to every connection the gateway, bot and CLI open, and so to
 * BullMQ's, which duplicate them.
 */
export interface RedisSecurity {
  username?: string | undefined;
  password?: string | undefined;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string } | undefined;
}

export interface ConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. Default {@link redisUrlFromEnv}. */
  url?: string;
  /** ACL user, password and TLS material (see {@link RedisSecurity}). */
  security?: RedisSecurity | undefined;
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
}

/** A fail-fast connection for the request path (approvals store, queue producers). */
export function createRequestConnection(options: RequestConnectionOptions = {}): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 500;
  const redis = new Redis(options.url ?? redisUrlFromEnv(), {
    ...securityOptions(options.url ?? redisUrlFromEnv(), options.security),
    connectionName: options.name ?? 'hoop-request',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 1500,
    retryStrategy: (times) => Math.min(times * 100, maxDelay),
  });
  redis.on('error', options.onError ?? noop);
  return redis;
}

/** A patient connection for BullMQ workers (they duplicate it for their blocking commands). */
export function createWorkerConnection(options: ConnectionOptions = {}): Redis {
  const redis = new Redis(options.url ?? redisUrlFromEnv(), {
    ...securityOptions(options.url ?? redisUrlFromEnv(), options.security),
    connectionName: options.name ?? 'hoop-worker',
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  redis.on('error', options.onError ?? noop);
  return redis;
}

/** The URL with its password replaced, for log lines and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

/**
 * ioredis options for `security`: username and password only when given (a URL's own userinfo
 * otherwise stands), TLS options for a `rediss://` URL. ioredis turns TLS on for `rediss://` by
 * itself; the CA here replaces the system store for verifying Redis, never disables verification.
 */
function securityOptions(url: string, security: RedisSecurity | undefined): RedisOptions {
  const options: RedisOptions = {};
  if (!security) return options;
  if (security.username) options.username = security.username;
  if (security.password) options.password = security.password;
  if (security.tls && url.startsWith('rediss:')) {
    const { ca, cert, key, servername } = security.tls;
    options.tls = {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(servername ? { servername } : {}),
    };
  }
  return options;
}

function noop(): void {}
