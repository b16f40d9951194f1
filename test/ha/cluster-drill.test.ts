import { afterAll, expect, it } from 'vitest';
import { expectNothingLost, runFailoverDrill } from '../support/failover-drill.ts';
import { describeWithKubectl } from '../support/kubectl.ts';
import { type RedisClusterHarness, startRedisCluster } from '../support/redis-cluster.ts';

/**
 * The Redis Cluster failover drill (test/support/failover-drill.ts) on a real six-node cluster
 * (three masters, three replicas, test/support/redis-cluster.ts): agents run kubectl through the
 * gateway continuously, one call is held for review and one approved grant waits to be claimed;
 * the master of the slot that holds the held review is SIGKILLed and its replica takes over.
 * Asserted: no review lost, no grant executed twice, every recorded hash chain intact, the held
 * call and the grant go through after the failover, and the agents' requests resume. Printed,
 * not asserted (they depend on the machine's load): failed requests, the longest gap, the
 * failover's duration.
 */
let cluster: RedisClusterHarness | undefined;

afterAll(async () => {
  await cluster?.stop();
});

describeWithKubectl('1.33', 'Redis Cluster failover drill', () => {
  it("loses no review, executes no grant twice, keeps every hash chain, and resumes after the review's master dies", async () => {
    cluster = await startRedisCluster();
    const harness = cluster;
    const nodes = harness.nodes.map(({ host, port }) => `${host}:${port}`);
    const killed: number[] = [];
    const figures = await runFailoverDrill({
      name: 'cluster',
      configSection: { cluster: { nodes } },
      settings: { cluster: { nodes: [...harness.nodes] } },
      kill: async (key) => {
        const master = await harness.masterFor(key);
        killed.push(master);
        await harness.kill(master);
      },
      recovered: async (key) => {
        await harness.waitForFailover(key, killed[0]!);
      },
    });
    expect(killed).toHaveLength(1);
    expectNothingLost(figures);
    expect(figures.heldCallExit).toBe(0);
  });
});
