import { StatusError } from '../errors.ts';
import type { RedisConnection } from '../queues/connections.ts';
import { endedForGood } from '../redis/ended.ts';
import { throughOutage } from '../redis/outage-wait.ts';

/**
 * Redis — and with it the approvals engine — cannot be reached. It is a `StatusError`, so the
 * gateway's one error handler answers `503 ServiceUnavailable` "approvals unavailable" without
 * knowing anything about Redis; `cause` keeps the driver's error for the log.
 *
 * Every Redis call in the approvals and queue producers goes through {@link withRedis}, which is
 * what makes a dead Redis cost a request about a second instead of a hang: the request-path
 * connection has no offline queue, and a connection that is not ready is given `readyTimeoutMs`
 * to become ready (covering process start and a reconnect in progress) before the call fails.
 */
export class ApprovalsUnavailableError extends StatusError {
  constructor(detail: string, options: { cause?: unknown } = {}) {
    super(
      503,
      'ServiceUnavailable',
      `approvals unavailable: ${detail}. This request needs a human approval and the approvals store (Redis) cannot be reached; retry in a little while.`,
      { cause: options.cause, headers: { 'Retry-After': '5' } },
    );
    this.name = 'ApprovalsUnavailableError';
  }
}

/** One pending 'ready' wait per connection, shared by every call that arrives while it connects. */
const readyWaits = new WeakMap<RedisConnection, Promise<void>>();

/** Resolves when `redis` is ready, or rejects with {@link ApprovalsUnavailableError} after `timeoutMs`. */
export async function whenReady(redis: RedisConnection, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  if (endedForGood(redis)) throw new ApprovalsUnavailableError('the Redis connection was closed');
  if (redis.status === 'wait') redis.connect().catch(() => undefined);
  let ready = readyWaits.get(redis);
  if (!ready) {
    ready = new Promise<void>((resolve) => redis.once('ready', resolve)).finally(() =>
      readyWaits.delete(redis),
    );
    readyWaits.set(redis, ready);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ApprovalsUnavailableError(`Redis not ready within ${timeoutMs} ms (${redis.status})`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `call` once `redis` is ready; any error from it becomes an {@link ApprovalsUnavailableError}.
 * The scripts answer every expected condition with a result, never an error reply, so an error
 * here means Redis itself failed (down, timed out, out of memory, loading). On a connection with an
 * outage wait (Sentinel, Cluster: redis/outage-wait.ts) the call is first retried through a failover.
 */
export async function withRedis<T>(
  redis: RedisConnection,
  readyTimeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  const attempt = async (): Promise<T> => {
    await whenReady(redis, readyTimeoutMs);
    try {
      return await call();
    } catch (error) {
      if (error instanceof ApprovalsUnavailableError) throw error;
      throw new ApprovalsUnavailableError('a Redis command failed', { cause: error });
    }
  };
  return throughOutage(redis, attempt, (error) => error instanceof ApprovalsUnavailableError);
}
