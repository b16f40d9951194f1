/**
 * A single-call grant used twice through a Redis failover. Using a `once` grant is a write on the
 * primary; replication is asynchronous, so if the primary dies before its replica has that write,
 * the promoted replica still offers the grant and the same approved call goes upstream a second
 * time. The attack needs no access to Redis: it is enough that the primary dies at the wrong
 * moment, and an agent that retries.
 *
 * Played for real on a six-node Redis Cluster: the replica of the grant's master is frozen and its
 * replication link cut, the grant is used, the master is SIGKILLed and the replica, which never saw
 * the use, takes over. Without `redis.replicaWait` the grant is used twice (the hole); with it the
 * unconfirmed use is refused (503: nothing forwarded), and the one use that goes through is after
 * the failover.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { ApprovalsUnavailableError, whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { waitForReplicas } from '../../src/redis/replication.ts';
import { fp, openInput } from '../approvals/helpers.ts';
import { type RedisClusterHarness, startRedisCluster } from '../support/redis-cluster.ts';

let cluster: RedisClusterHarness;
let redis: RedisConnection;

beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = createRequestConnection({
    redis: { cluster: { nodes: [...cluster.nodes] }, failoverWaitMs: 30_000 },
    commandTimeoutMs: 5000,
    connectTimeoutMs: 5000,
  });
  await whenReady(redis, 10_000);
}, 90_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

/** Two approvals prefixes whose stores live on different masters (one failover each). */
async function prefixesOnTwoMasters(): Promise<[string, string]> {
  const byMaster = new Map<number, string>();
  for (let i = 0; byMaster.size < 2; i++) {
    const prefix = `double-use-${i}:approvals`;
    const store = new ReviewStore({ connection: redis, prefix });
    byMaster.set(await cluster.masterFor(store.keys.pending), prefix);
  }
  const [a, b] = [...byMaster.values()];
  return [a!, b!];
}

/**
 * Approves a once grant (replicated), then uses it at the worst moment: its master's replica
 * frozen and cut off, the master killed right after, the replica promoted. Returns how many
 * times the grant was handed out for forwarding, before and after the failover.
 */
async function useAcrossFailover(
  prefix: string,
  replicas: number,
): Promise<{ uses: number; refused: unknown }> {
  const store = new ReviewStore({ connection: redis, prefix, replication: { replicas, timeoutMs: 300 } });
  const fingerprint = fp(`double-use-${prefix}`);
  const { review } = await store.findOrCreate(openInput({ fingerprint }));
  const key = store.keys.review(review.id);
  await store.decide(review.id, { approver: { id: 'bob', groups: [] }, action: 'approve', via: 'api' });
  expect((await waitForReplicas(redis, key, { replicas: 1, timeoutMs: 5000 })).acknowledged).toBe(1);

  const master = await cluster.masterFor(key);
  const replica = await cluster.replicaOf(master);
  const direct = new Redis({ host: '127.0.0.1', port: master, lazyConnect: true });
  let uses = 0;
  let refused: unknown;
  cluster.pause(replica);
  try {
    await direct.connect();
    await direct.call('CLIENT', 'KILL', 'TYPE', 'replica');
    const first = await store.consume(fingerprint).catch((error: unknown) => error as Error);
    if (first instanceof Error) refused = first;
    else if (first.outcome === 'consumed') uses++;
    await cluster.kill(master);
  } finally {
    direct.disconnect();
    cluster.resume(replica);
  }
  await cluster.waitForFailover(key, master);
  // The agent retries, again and again: each `consumed` is a call forwarded upstream.
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await store.consume(fingerprint)).outcome === 'consumed') uses++;
  }
  await store.close();
  return { uses, refused };
}

describe('a once grant across a failover', () => {
  let prefixes: [string, string];
  beforeAll(async () => {
    prefixes = await prefixesOnTwoMasters();
  });

  it('without replicaWait, the promoted replica hands the used grant out again (the hole)', async () => {
    const { uses, refused } = await useAcrossFailover(prefixes[0], 0);
    expect(refused).toBeUndefined();
    expect(uses).toBe(2);
  });

  it('with replicaWait, the unconfirmed use is refused and the grant goes upstream once', async () => {
    const { uses, refused } = await useAcrossFailover(prefixes[1], 1);
    expect(refused).toBeInstanceOf(ApprovalsUnavailableError);
    expect((refused as Error).message).toMatch(/use of the approval was written but 0 of 1 Redis replicas/);
    expect(uses).toBe(1);
  });
});
