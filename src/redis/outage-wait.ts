import type { Cluster, Redis } from 'ioredis';
import { endedForGood } from './ended.ts';

/**
 * Riding out a failover. With Sentinel or Cluster, losing the primary is an interruption of
 * seconds: the Sentinels (or the other masters) promote a replica and every connection moves to
 * it. A request-path call that fails in that window would fail for nothing, so a connection
 * created with an outage wait ({@link setOutageWait}, done by the connection factory from
 * `redis.failoverWait`) retries a failed call until it succeeds or the wait has passed since the
 * first failure; then the failure stands (503). Nothing is forwarded meanwhile: the caller is
 * simply held longer.
 *
 * With one Redis there is nothing to fail over to, so the wait defaults to 0 there and a dead
 * Redis costs a call about a second, as before.
 *
 * A retried write may have been applied the first time with its reply lost. The scripts are
 * written for that: creating a review and claiming a grant are idempotent or refuse the second
 * time, a recording append compares the sequence number and re-seals on the new tail.
 */
const waits = new WeakMap<Redis | Cluster, number>();

/** How long calls through `connection` wait out an outage (ms); 0 or absent: they do not. */
export function setOutageWait(connection: Redis | Cluster, ms: number): void {
  if (ms > 0) waits.set(connection, ms);
}

export function outageWaitOf(connection: Redis | Cluster): number {
  return waits.get(connection) ?? 0;
}

/** Pause between attempts: long enough not to spin, short against a failover's seconds. */
const RETRY_PAUSE_MS = 200;

/**
 * Runs `attempt` (which makes one call through `connection`); when it throws, tries again until
 * the connection's outage wait has passed since the first failure. `retryable` says which
 * failures are outages (Redis unreachable or failing), not answers.
 */
export async function throughOutage<T>(
  connection: Redis | Cluster,
  attempt: () => Promise<T>,
  retryable: (error: unknown) => boolean,
): Promise<T> {
  const waitMs = outageWaitOf(connection);
  if (waitMs === 0) return attempt();
  let firstFailure: number | undefined;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || endedForGood(connection)) throw error;
      firstFailure ??= Date.now();
      if (Date.now() - firstFailure >= waitMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
    }
  }
}
