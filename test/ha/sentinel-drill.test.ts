import { afterAll, expect, it } from 'vitest';
import { runFailoverDrill } from '../support/failover-drill.ts';
import { describeWithKubectl } from '../support/kubectl.ts';
import { killAllRedisProcesses } from '../support/redis-process.ts';
import { type SentinelRedis, startSentinelRedis } from '../support/sentinel-redis.ts';

/**
 * The Sentinel failover drill (test/support/failover-drill.ts): a primary, a replica and three
 * Sentinels on loopback; agents run kubectl through the gateway continuously, one call is held for
 * review and one approved grant waits to be claimed; the primary is SIGKILLed. Asserted: no review
 * lost, no grant executed twice, every recorded hash chain intact, the held call and the grant
 * go through after the failover, and the agents' requests resume. Printed, not asserted (they
 * depend on the machine's load): failed requests, the longest gap, the failover's duration.
 */
let redis: SentinelRedis | undefined;

afterAll(async () => {
  await redis?.stop();
  await killAllRedisProcesses();
});

describeWithKubectl('1.33', 'Sentinel failover drill', () => {
  it('loses no review, executes no grant twice, keeps every hash chain, and resumes', async () => {
    redis = await startSentinelRedis();
    const sentinel = redis;
    const figures = await runFailoverDrill({
      name: 'sentinel',
      configSection: sentinel.configSection,
      settings: sentinel.settings,
      kill: async () => {
        const old = await sentinel.killPrimary();
        killed.push(old);
      },
      recovered: async () => {
        await sentinel.waitForFailover(killed[0]!);
      },
    });
    expect(figures.reviewsLost).toBe(0);
    expect(figures.grantsExecutedTwice).toBe(0);
    expect(figures.brokenChains).toBe(0);
    expect(figures.sessionsChecked).toBeGreaterThan(0);
    expect(figures.heldCallExit).toBe(0);
    expect(figures.grantClaimStatus).toBe(200);
    expect(figures.succeededAfterFailover).toBeGreaterThan(0);
  });
});

const killed: Array<{ host: string; port: number }> = [];
