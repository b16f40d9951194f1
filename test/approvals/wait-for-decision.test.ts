import { afterEach, describe, expect, it } from 'vitest';
import type { Review } from '../../src/approvals/review.types.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { type Harness, harness, openInput } from './helpers.ts';

let h: Harness;
let extra: ReviewStore | undefined;
afterEach(async () => {
  await extra?.close();
  extra = undefined;
  await h?.cleanup();
});

const bob = { id: 'bob', groups: [] };

/** `count` pending reviews on the harness's store, their fingerprints told apart by `fill`. */
function openReviews(count: number, fill: string): Promise<Array<{ review: Review }>> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      h.store.findOrCreate(openInput({ fingerprint: i.toString(16).padStart(64, fill) })),
    ),
  );
}

/** Bob decides every one of `reviews` the same way. */
async function decideAll(reviews: Array<{ review: Review }>, action: 'approve' | 'reject'): Promise<void> {
  await Promise.all(
    reviews.map(({ review }) => h.store.decide(review.id, { approver: bob, action, via: 'slack' })),
  );
}

describe('waitForDecision', () => {
  it('wakes on the event within milliseconds, long before the poll', async () => {
    h = await harness('wait-event');
    const { review } = await h.store.findOrCreate(openInput());
    const started = Date.now();
    const waiting = h.store.waitForDecision(review.id, { timeoutMs: 20_000, pollMs: 15_000 });
    setTimeout(() => void h.store.decide(review.id, { approver: bob, action: 'approve', via: 'slack' }), 200);
    const result = await waiting;
    expect(result).toMatchObject({ state: 'approved', review: { id: review.id, decidedBy: 'bob' } });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('still sees the decision by polling when the event is lost', async () => {
    h = await harness('wait-poll');
    // Same records, but it listens on a channel nobody publishes to: every event is "lost".
    extra = new ReviewStore({ connection: h.redis, prefix: h.prefix, channel: `${h.prefix}:nowhere` });
    const { review } = await h.store.findOrCreate(openInput());
    const started = Date.now();
    const waiting = extra.waitForDecision(review.id, { timeoutMs: 20_000, pollMs: 700 });
    setTimeout(() => void h.store.decide(review.id, { approver: bob, action: 'reject', via: 'teams' }), 100);
    const result = await waiting;
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ state: 'rejected', review: { decidedBy: 'bob' } });
    expect(elapsed).toBeGreaterThanOrEqual(600);
    expect(elapsed).toBeLessThan(3000);
  });

  it('resolves pending on timeout, and at once for an already final review', async () => {
    h = await harness('wait-timeout');
    const { review } = await h.store.findOrCreate(openInput());
    const started = Date.now();
    const result = await h.store.waitForDecision(review.id, { timeoutMs: 300, pollMs: 100 });
    expect(result).toMatchObject({ state: 'pending', review: { id: review.id } });
    expect(Date.now() - started).toBeLessThan(1500);
    await h.store.cancel(review.id);
    expect((await h.store.waitForDecision(review.id, { timeoutMs: 10_000 })).state).toBe('cancelled');
    expect((await h.store.waitForDecision('r-zzzzzz', { timeoutMs: 10_000 })).state).toBe('not-found');
  });

  it('rejects with the abort reason when the client goes away', async () => {
    h = await harness('wait-abort');
    const { review } = await h.store.findOrCreate(openInput());
    const controller = new AbortController();
    const waiting = h.store.waitForDecision(review.id, { timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('client disconnected')), 100);
    await expect(waiting).rejects.toThrow('client disconnected');
  });

  it('serves many waiters from one subscriber connection', async () => {
    h = await harness('wait-many');
    const reviews = await openReviews(25, 'a');
    const waits = reviews.map(({ review }) =>
      h.store.waitForDecision(review.id, { timeoutMs: 10_000, pollMs: 10_000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    // 25 held requests, one subscription on the channel.
    expect(await h.redis.pubsub('NUMSUB', h.store.events.channel)).toEqual([h.store.events.channel, 1]);
    await decideAll(reviews, 'approve');
    expect((await Promise.all(waits)).every((r) => r.state === 'approved')).toBe(true);
  });

  it('holds many calls on one listener of the connection, without a leak warning', async () => {
    h = await harness('wait-listeners');
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const before = h.redis.listenerCount('close');
      const reviews = await openReviews(40, 'b');
      const waits = reviews.map(({ review }) =>
        h.store.waitForDecision(review.id, { timeoutMs: 10_000, pollMs: 10_000 }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(h.redis.listenerCount('close')).toBe(before + 1);
      await decideAll(reviews, 'approve');
      expect((await Promise.all(waits)).map((r) => r.state)).toEqual(reviews.map(() => 'approved'));
      expect(h.redis.listenerCount('close')).toBe(before);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('wakes every held call when the connection is lost, long before the poll', async () => {
    h = await harness('wait-lost');
    // Events go to a channel nobody publishes to, and the poll is a minute away: only the lost
    // connection can make these waits read their reviews again.
    extra = new ReviewStore({ connection: h.redis, prefix: h.prefix, channel: `${h.prefix}:nowhere` });
    const reviews = await openReviews(15, 'c');
    const waits = reviews.map(({ review }) =>
      extra!.waitForDecision(review.id, { timeoutMs: 60_000, pollMs: 60_000 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await decideAll(reviews, 'reject');
    const started = Date.now();
    h.redis.disconnect(true); // closes the socket and connects again
    expect((await Promise.all(waits)).map((r) => r.state)).toEqual(reviews.map(() => 'rejected'));
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
