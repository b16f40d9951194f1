import type { RedisConnection } from '../queues/connections.ts';
import { settledWithin } from './bounded.ts';

/**
 * Whether a Redis connection answers, for `/readyz` and the `hoop_redis_up` gauge: a PING with a
 * short timeout, its answer cached for `cacheMs`, so a probe every second from every kubelet and
 * Prometheus costs Redis at most one PING a second per connection. Concurrent callers share one
 * PING. Never throws.
 */
export interface RedisProbe {
  /** The dependency's name, for `/readyz?verbose` and the metric's label (`approvals`, `recording`). */
  name: string;
  up(): Promise<boolean>;
  /** The last answer without asking again (metrics collection). */
  last(): boolean;
}

export function redisProbe(
  name: string,
  redis: RedisConnection,
  options: { timeoutMs?: number; cacheMs?: number } = {},
): RedisProbe {
  const timeoutMs = options.timeoutMs ?? 500;
  const cacheMs = options.cacheMs ?? 1000;
  let answer = false;
  let at = 0;
  let pending: Promise<boolean> | undefined;
  const ask = async (): Promise<boolean> => {
    let ok = false;
    const ping = redis.ping().then((reply) => {
      ok = reply === 'PONG';
    });
    ping.catch(() => undefined);
    await settledWithin(ping, timeoutMs);
    answer = ok;
    at = Date.now();
    return ok;
  };
  return {
    name,
    last: () => answer,
    up() {
      if (Date.now() - at < cacheMs) return Promise.resolve(answer);
      pending ??= ask().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}
