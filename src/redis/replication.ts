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
 * cluster pipeline to the node of its keys, on that node's one connection. `CLUSTER NODES` (or
 * `ROLE` without a cluster) rides along, so the answer also says how many replicas could take
 * that primary's place.
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

/**
 * What one WAIT learnt: how many replicas acknowledged, and how many could be promoted in the
 * primary's place. On a Redis Cluster that is every replica the cluster knows for this master and
 * has not marked failed — also one whose replication link is down at the moment, since the
 * cluster may still promote it; with one server or Sentinel it is the replicas the primary has
 * connected (`ROLE`).
 */
export interface ReplicaAcks {
  acknowledged: number;
  promotable: number;
}

/** How many replicas acknowledged the writes `connection` made so far to `key`'s primary. */
export async function waitForReplicas(
  connection: Redis | Cluster,
  key: string,
  options: ReplicationOptions,
): Promise<ReplicaAcks> {
  if (options.replicas <= 0) return { acknowledged: 0, promotable: 0 };
  const pipeline = connection.pipeline().exists(key).wait(options.replicas, options.timeoutMs);
  if (connection.isCluster) pipeline.cluster('NODES');
  else pipeline.role();
  const replies = await pipeline.exec();
  const [waitError, acknowledged] = replies?.[1] ?? [new Error('no reply to WAIT')];
  const [topologyError, topology] = replies?.[2] ?? [new Error('no reply to ROLE')];
  if (waitError) throw waitError;
  if (topologyError) throw topologyError;
  const promotable = connection.isCluster
    ? promotableInCluster(String(topology))
    : Array.isArray(topology) && Array.isArray(topology[2])
      ? topology[2].length
      : 0;
  return { acknowledged: Number(acknowledged), promotable };
}

/** The replicas `CLUSTER NODES` (as the master sees it) lists for the master itself, not failed. */
function promotableInCluster(nodes: string): number {
  const lines = nodes.split('\n').map((line) => line.split(' '));
  const me = lines.find((fields) => fields[2]?.split(',').includes('myself'))?.[0];
  return lines.filter(
    (fields) => me !== undefined && fields[3] === me && !fields[2]?.split(',').includes('fail'),
  ).length;
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

/**
 * Waits for the replicas and throws {@link ReplicationTimeoutError} when too few answered. Required
 * are `options.replicas`, or as many as could be promoted when that is fewer: a replica that could
 * take over but does not confirm in time might be promoted without the write, so that fails; a
 * primary with none left (just after a failover, before the old primary rejoins as a replica) has
 * nothing a failover could promote, so approvals go on there rather than stopping until one is
 * back.
 */
export async function requireReplicas(
  connection: Redis | Cluster,
  key: string,
  options: ReplicationOptions | undefined,
): Promise<ReplicaAcks | undefined> {
  if (!options || options.replicas <= 0) return undefined;
  const acks = await waitForReplicas(connection, key, options);
  const required = Math.min(options.replicas, acks.promotable);
  if (acks.acknowledged < required) throw new ReplicationTimeoutError(acks.acknowledged, required);
  return acks;
}

/**
 * The `redis.replicaWait` setting, or its default: one acknowledging replica within 500 ms with
 * Sentinel or Cluster, none with one server.
 */
export function replicationFor(
  settings:
    | { sentinel?: unknown; cluster?: unknown; replicaWait?: ReplicationOptions | undefined }
    | undefined,
): ReplicationOptions {
  if (settings?.replicaWait) return settings.replicaWait;
  return settings?.sentinel || settings?.cluster
    ? { replicas: 1, timeoutMs: 500 }
    : { replicas: 0, timeoutMs: 0 };
}
