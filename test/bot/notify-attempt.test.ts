import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { ChannelPacer } from '../../bot/workers/channel-pacer.ts';
import { type ChatPoster, ChatRateLimitedError, ChatRejectedError } from '../../bot/workers/chat-poster.ts';
import { NotifyAttempt } from '../../bot/workers/notify-attempt.ts';
import type { NotifyJob } from '../../src/queues/names.ts';

/** A job, pacer and poster that only record what the attempt asked of them. */
function fixture(waitMs = 0) {
  const delayedTo: number[] = [];
  const heldOff: Array<[string, number]> = [];
  const job = {
    data: { reviewId: 'r1', event: 'created' },
    moveToDelayed: async (at: number) => {
      delayedTo.push(at);
    },
  } as unknown as Job<NotifyJob>;
  const updates: Array<[string, string]> = [];
  const pacer = {
    take: async () => waitMs,
    takeUpdate: async (platform: string, workspace: string) => {
      updates.push([platform, workspace]);
      return waitMs;
    },
    holdOff: async (_platform: string, channel: string, ms: number) => {
      heldOff.push([channel, ms]);
    },
  } as unknown as ChannelPacer;
  const poster = { platform: 'slack', updateWorkspace: async () => 'T0ONE' } as ChatPoster;
  return { attempt: new NotifyAttempt(job, 'token', pacer), poster, delayedTo, heldOff, updates };
}

describe('NotifyAttempt', () => {
  it('paces: a free slot goes ahead, a taken one moves the job to the delayed set', async () => {
    const free = fixture(0);
    await free.attempt.pace(free.poster, 'C1');
    expect(free.delayedTo).toEqual([]);

    const busy = fixture(800);
    const before = Date.now();
    await expect(busy.attempt.pace(busy.poster, 'C1')).rejects.toBeInstanceOf(DelayedError);
    expect(busy.delayedTo[0]).toBeGreaterThanOrEqual(before + 800);
  });

  it('paces updates under the poster workspace key, and waits when the slot is taken', async () => {
    const free = fixture(0);
    await free.attempt.paceUpdate(free.poster);
    expect(free.updates).toEqual([['slack', 'T0ONE']]);
    expect(free.delayedTo).toEqual([]);

    const busy = fixture(900);
    await expect(busy.attempt.paceUpdate(busy.poster)).rejects.toBeInstanceOf(DelayedError);
    expect(busy.updates).toEqual([['slack', 'T0ONE']]);
  });

  it('after a 429 holds the channel off and waits, without spending an attempt', async () => {
    const f = fixture();
    const error = new ChatRateLimitedError(1500);
    await expect(f.attempt.fail(error, f.poster, 'C1', {})).rejects.toBeInstanceOf(DelayedError);
    expect(f.heldOff).toEqual([['C1', 1500]]);
    expect(f.delayedTo).toHaveLength(1);
  });

  it('fails the job for good on a refusal, and rethrows anything else for a retry', async () => {
    const f = fixture();
    await expect(
      f.attempt.fail(new ChatRejectedError('channel_not_found'), f.poster, 'C1', {}),
    ).rejects.toBeInstanceOf(UnrecoverableError);
    const outage = new Error('socket hang up');
    await expect(f.attempt.fail(outage, f.poster, 'C1', {})).rejects.toBe(outage);
    expect(f.delayedTo).toEqual([]);
  });
});
