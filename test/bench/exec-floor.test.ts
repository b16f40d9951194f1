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

  it('is out of reach when the floor is above what the relay alone leaves', () => {
    const judged = judgeRecordingFloor({ direct, relayAlone }, { writerMsPerMb: 4.5, redisMsPerMb: 1.5 });
    expect(judged).toEqual({ budgetMsPerMb: 2, floorMsPerMb: 6, verdict: 'out-of-reach' });
  });

  it('is not ruled out when the floor fits, counting Redis', () => {
    const fits = judgeRecordingFloor({ direct, relayAlone }, { writerMsPerMb: 1, redisMsPerMb: 1 });
    expect(fits.verdict).toBe('not-ruled-out');
    const redisTips = judgeRecordingFloor({ direct, relayAlone }, { writerMsPerMb: 1, redisMsPerMb: 1.5 });
    expect(redisTips.verdict).toBe('out-of-reach');
  });

  it('says so when the relay alone already takes all half of direct allows', () => {
    const judged = judgeRecordingFloor({ direct, relayAlone: 22 }, { writerMsPerMb: 0, redisMsPerMb: 0 });
    expect(judged.budgetMsPerMb).toBe(0);
    expect(judged.verdict).toBe('relay-over-budget');
  });

  it('does not judge a floor without Redis in it', () => {
    const judged = judgeRecordingFloor({ direct, relayAlone }, { writerMsPerMb: 1, redisMsPerMb: undefined });
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
    if (pid === undefined) expect(floor.redisMsPerMb).toBeUndefined();
    else expect(Number.isFinite(floor.redisMsPerMb)).toBe(true);
  });
});
