import type { Cluster, Redis } from 'ioredis';

/**
 * Waiting for replicas after a write that must survive the loss of the primary (decisions, grant
 * revocations, the consumption of a grant). Redis replicates asynchronously: a write the primary
 * acknowledged can vanish when a replica that never saw it is promoted. `WAIT n timeout` blocks the
 * writing connection until `n` replicas have acknowledged every write it made so far, or the
 * timeout passes, and answers how many did.
 *
 * On a Redis Cluster the WAIT must reach the master that owns the written key's slot, over the
 * connection that wrote it: it is sent in a pipeline with a read of that key, and ioredis sends a
 * cluster pipeline to the node of its keys, on that node's one connection.
 *
 * What this does not give: a write acknowledged by the replicas can still be lost if every one of
 * them fails too, and a failover may still promote a replica other than the one that acknowledged
 * (Sentinel and Cluster prefer the most up-to-date one).
 */
export interface ReplicationOptions {
  /** How many replicas must acknowledge. 0 turns waiting off (a single Redis has none). */
  replicas: number;
  /** The longest a write waits for them, in ms; kept short, the connection is blocked meanwhile. */
  timeoutMs: number;
}

/** How many replicas acknowledged the writes `connection` made so far (its writes to `key`'s slot). */
export async function waitForReplicas(
  connection: Redis | Cluster,
  key: string,
  options: ReplicationOptions,
): Promise<number> {
  if (options.replicas <= 0) return 0;
  if (!connection.isCluster) return (connection as Redis).wait(options.replicas, options.timeoutMs);
  const replies = await connection.pipeline().exists(key).wait(options.replicas, options.timeoutMs).exec();
  const [error, acknowledged] = replies?.[1] ?? [new Error('no reply to WAIT')];
  if (error) throw error;
  return Number(acknowledged);
}

/** Raised when fewer replicas than required acknowledged a write within the timeout. */
export class ReplicationTimeoutError extends Error {
  readonly acknowledged: number;
  readonly required: number;

  constructor(acknowledged: number, required: number) {
    super(`${acknowledged} of ${required} Redis replicas acknowledged the write in time`);
    this.name = 'ReplicationTimeoutError';
    this.acknowledged = acknowledged;
    this.required = required;
  }
}

/** Waits for the replicas and throws {@link ReplicationTimeoutError} when too few answered. */
export async function requireReplicas(
  connection: Redis | Cluster,
  key: string,
  options: ReplicationOptions | undefined,
): Promise<void> {
  if (!options || options.replicas <= 0) return;
  const acknowledged = await waitForReplicas(connection, key, options);
  if (acknowledged < options.replicas) throw new ReplicationTimeoutError(acknowledged, options.replicas);
}
