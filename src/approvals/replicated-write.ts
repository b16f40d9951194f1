import type { RedisConnection } from '../queues/connections.ts';
import {
  type ReplicationOptions,
  ReplicationTimeoutError,
  requireReplicas,
  waitForReplicas,
} from '../redis/replication.ts';
import { ApprovalsUnavailableError } from './unavailable-error.ts';

/**
 * The approvals engine's two kinds of write as far as replication goes (redis/replication.ts):
 *
 * - {@link confirmReplicated}: decisions, cancellations and the use of a `once` grant. Nobody may
 *   act on them before the replicas have them — a failover could undo them, and a grant used on
 *   the old primary would be offered again by the new one — so when the replicas do not confirm
 *   in time the call fails with a 503 and is retried, and the retry sees what survived.
 * - {@link replicateQuietly}: a new review. Losing it costs the agent's retry a new review, never
 *   a second execution, so it waits the same bounded time but fails nothing.
 */
export async function confirmReplicated(
  redis: RedisConnection,
  key: string,
  replication: ReplicationOptions | undefined,
  what: string,
): Promise<void> {
  try {
    await requireReplicas(redis, key, replication);
  } catch (error) {
    throw new ApprovalsUnavailableError(
      error instanceof ReplicationTimeoutError
        ? `the ${what} was written but ${error.acknowledged} of ${error.required} Redis replicas acknowledged it in time`
        : `the ${what} could not be confirmed on a Redis replica`,
      { cause: error },
    );
  }
}

/** Waits for the replicas like {@link confirmReplicated}, and ignores the answer. */
export async function replicateQuietly(
  redis: RedisConnection,
  key: string,
  replication: ReplicationOptions | undefined,
): Promise<void> {
  if (!replication || replication.replicas <= 0) return;
  await waitForReplicas(redis, key, replication).catch(() => undefined);
}
