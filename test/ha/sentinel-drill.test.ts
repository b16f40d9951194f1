import { afterAll, afterEach, expect, it } from 'vitest';
import type { RedisAddress } from '../../src/queues/redis-settings.ts';
import { expectNothingLost, runFailoverDrill } from '../support/failover-drill.ts';
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
 * Run with the default `redis.failoverWait` (calls wait for the new primary), and as controls with
 * no wait (fail closed at once) and no wait plus `recording.spool`.
 */
let redis: SentinelRedis | undefined;

afterEach(async () => {
  await redis?.stop();
  redis = undefined;
});

afterAll(async () => {
  await killAllRedisProcesses();
});

/** Runs the drill on a fresh primary + replica + 3 Sentinels, with `failoverWait` and recording settings. */
async function drill(variant: string, failoverWait: string | undefined, recording?: Record<string, unknown>) {
  redis = await startSentinelRedis();
  const sentinel = redis;
  let killed: RedisAddress | undefined;
  return runFailoverDrill(
    {
      name: 'sentinel',
      configSection: { ...sentinel.configSection, ...(failoverWait ? { failoverWait } : {}) },
      settings: sentinel.settings,
      kill: async () => {
        killed = await sentinel.killPrimary();
      },
      recovered: async () => {
        if (!killed) throw new Error('nothing was killed');
        await sentinel.waitForFailover(killed);
      },
    },
    { variant, ...(recording ? { recording } : {}) },
  );
}

describeWithKubectl('1.33', 'Sentinel failover drill', () => {
  it('loses no review, executes no grant twice, keeps every hash chain, and resumes', async () => {
    const figures = await drill('failoverWait 20s, the default', undefined);
    expectNothingLost(figures);
    // Held across the failover, approved after it: it waited instead of failing.
    expect(figures.heldCallExit).toBe(0);
  });

  it.each([
    ['failoverWait 0: fail closed at once', undefined],
    ['failoverWait 0 with recording.spool', { spool: {} }],
  ])('%s: requests may fail, nothing is lost or executed twice', async (variant, recording) => {
    const figures = await drill(variant, '0ms', recording);
    expectNothingLost(figures);
  });
});
