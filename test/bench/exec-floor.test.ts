import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeRecordingFloor, measureRecordingFloor } from '../../bench/exec-floor.ts';
import { localRedisPid } from '../../bench/redis-cpu.ts';
import { redisUrlFromEnv } from '../../src/queues/connections.ts';

// The exec bench's floor: what half of direct leaves a recording, and the least a recording costs.
describe('the recording floor of the exec bench', () => {
  const redis = new Redis(redisUrlFromEnv());
  afterAll(() => redis.disconnect());

  const direct = 11; // ms per MB over every process: half of direct allows 22
  const relayAlone = 20; // of them: 2 left
  // Direct at 125 MB/s keeps 1.375 of 2 cores busy; at half its speed, with both busy, a copy may
  // take 32 ms per MB: 12 beyond the relay alone.
  const machine = { cores: 2, directMbPerSecond: 125 };

  it('is out of reach when the floor is above what the relay alone leaves with every core busy', () => {
    const judged = judgeRecordingFloor(
      { direct, relayAlone },
      { writerMsPerMb: 10, redisMsPerMb: 3 },
      machine,
    );
    expect(judged).toEqual({
      budgetMsPerMb: 2,
      everyCoreBudgetMsPerMb: 12,
      floorMsPerMb: 13,
      verdict: 'out-of-reach',
    });
  });

  it('is within reach only with every core busy when the floor fits only there', () => {
    const judged = judgeRecordingFloor(
      { direct, relayAlone },
      { writerMsPerMb: 4.5, redisMsPerMb: 1.5 },
      machine,
    );
    expect(judged.verdict).toBe('only-with-every-core-busy');
    // A direct copy that already kept every core busy leaves no more than twice its CPU.
    const saturated = judgeRecordingFloor(
      { direct, relayAlone },
      { writerMsPerMb: 4.5, redisMsPerMb: 1.5 },
      { cores: 2, directMbPerSecond: 2000 / 11 },
    );
    expect(saturated.everyCoreBudgetMsPerMb).toBeCloseTo(2, 6);
    expect(saturated.verdict).toBe('out-of-reach');
  });

  it('is not ruled out when the floor fits, counting Redis', () => {
    const fits = judgeRecordingFloor({ direct, relayAlone }, { writerMsPerMb: 1, redisMsPerMb: 1 }, machine);
    expect(fits.verdict).toBe('not-ruled-out');
    const redisTips = judgeRecordingFloor(
      { direct, relayAlone },
      { writerMsPerMb: 1, redisMsPerMb: 1.5 },
      machine,
    );
    expect(redisTips.verdict).toBe('only-with-every-core-busy');
  });

  it('says so when the relay alone already takes all half of direct allows with every core busy', () => {
    const judged = judgeRecordingFloor(
      { direct, relayAlone: 32 },
      { writerMsPerMb: 0, redisMsPerMb: 0 },
      machine,
    );
    expect(judged.everyCoreBudgetMsPerMb).toBe(0);
    expect(judged.verdict).toBe('relay-over-budget');
  });

  it('does not judge a floor without Redis in it', () => {
    const judged = judgeRecordingFloor(
      { direct, relayAlone },
      { writerMsPerMb: 1, redisMsPerMb: undefined },
      machine,
    );
    expect(judged.verdict).toBe('redis-elsewhere');
  });

  it('stores every byte once on a key of its own, and deletes it', async () => {
    const key = `test:exec-floor:${randomBytes(4).toString('hex')}`;
    const pid = await localRedisPid(redis);
    const floor = await measureRecordingFloor({
      megabytes: 0.25,
      redisUrl: redisUrlFromEnv(),
      key,
      redisPid: pid,
      tries: 2,
    });
    // 0.25 MB of `cat` is 0.5 MB recorded (stdin and stdout): sixteen 32 KiB entries, each checked
    // in Redis before the key is deleted.
    expect(floor.entries).toBe(16);
    expect(await redis.exists(key)).toBe(0);
    expect(Number.isFinite(floor.writerMsPerMb) && floor.writerMsPerMb > 0).toBe(true);
    if (pid === undefined) {
      expect(floor.redisMsPerMb).toBeUndefined();
      expect(floor.redisFaultsPerMb).toBeUndefined();
    } else {
      expect(Number.isFinite(floor.redisMsPerMb)).toBe(true);
      // Redis's own count over the measurements: never negative, never more than a page per byte.
      expect(floor.redisFaultsPerMb).toBeGreaterThanOrEqual(0);
      expect(floor.redisFaultsPerMb).toBeLessThan(2 ** 20);
    }
  });
});
