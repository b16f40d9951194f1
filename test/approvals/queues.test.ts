import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { startExpireWorker } from '../../gateway/approvals/expire-worker.ts';
import type { Review, ReviewEvent } from '../../src/approvals/review.types.ts';
import { createWorkerConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { expireJobId, notifyJobId, QUEUE_NAMES } from '../../src/queues/names.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { freshPrefix, type Harness, harness, openInput, rule } from './helpers.ts';

let h: Harness;
let producers: ReviewProducers | undefined;
let worker: Worker | undefined;
let workerConnection: RedisConnection | undefined;
let queuePrefix = '';

afterEach(async () => {
  await worker?.close();
  await producers?.close();
  workerConnection?.disconnect();
  if (h) await deleteKeys(h.redis, `${queuePrefix}:*`);
  await h?.cleanup();
  worker = undefined;
  producers = undefined;
  workerConnection = undefined;
});

async function setUp(label: string): Promise<void> {
  h = await harness(label);
  queuePrefix = freshPrefix(`${label}-q`);
  producers = new ReviewProducers({ connection: h.redis, prefix: queuePrefix });
}

describe('notify queue', () => {
  it('enqueues one job per review event, however often it is asked (job id from the review id)', async () => {
    await setUp('notify');
    const { review } = await h.store.findOrCreate(openInput());
    await Promise.all(Array.from({ length: 5 }, () => producers!.enqueueNotify(review)));
    await producers!.ensureQueued(review);
    await producers!.enqueueNotify(review, 'decided');
    const queue = producers!.queue(QUEUE_NAMES.notify);
    expect(await queue.getJobCounts('waiting', 'delayed', 'active')).toMatchObject({ waiting: 2 });
    const job = await queue.getJob(notifyJobId(review.id, 'created'));
    expect(job?.data).toEqual({ reviewId: review.id, event: 'created' });
    expect(job?.opts).toMatchObject({ attempts: 8, backoff: { type: 'exponential', delay: 2000 } });
    // ensureQueued also scheduled the expiry, once, delayed until the deadline.
    const expire = await producers!.queue(QUEUE_NAMES.expire).getJob(expireJobId(review.id));
    expect(expire?.data).toEqual({ reviewId: review.id, deadline: review.deadline });
    expect(expire?.opts.delay).toBeGreaterThan(890_000);
  });
});

describe('expire queue', () => {
  it('fires at the deadline, expires the review and publishes the change', async () => {
    await setUp('expire');
    const events: ReviewEvent[] = [];
    await h.store.subscribe((event) => events.push(event));
    const expired: Review[] = [];
    workerConnection = createWorkerConnection({ url: REDIS_URL });
    worker = startExpireWorker({
      connection: workerConnection,
      store: h.store,
      prefix: queuePrefix,
      onExpired: (review) => void expired.push(review),
    });
    const created = Date.now();
    const { review } = await h.store.findOrCreate(
      openInput({ now: created, rule: rule({ timeoutSeconds: 1 }) }),
    );
    await producers!.ensureQueued(review, created);
    await expect
      .poll(() => events.some((e) => e.id === review.id && e.state === 'expired'), { timeout: 8000 })
      .toBe(true);
    const firedAfter = Date.now() - created;
    expect(firedAfter).toBeGreaterThanOrEqual(950);
    expect(firedAfter).toBeLessThan(6000);
    expect((await h.store.get(review.id))?.state).toBe('expired');
    expect(expired.map((r) => r.id)).toEqual([review.id]);
  });

  it('puts back a job that fires before the deadline instead of expiring early', async () => {
    await setUp('expire-early');
    workerConnection = createWorkerConnection({ url: REDIS_URL });
    const now = Date.now();
    const { review } = await h.store.findOrCreate(openInput({ now, rule: rule({ timeoutSeconds: 2 }) }));
    // A producer whose clock runs 2 s ahead schedules the job for "now".
    await producers!.scheduleExpire(review, now + 2000);
    const outcomes: string[] = [];
    worker = startExpireWorker({ connection: workerConnection, store: h.store, prefix: queuePrefix });
    worker.on('completed', (_job, result) => outcomes.push(String(result)));
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await h.store.get(review.id))?.state).toBe('pending');
    await expect.poll(async () => (await h.store.get(review.id))?.state, { timeout: 8000 }).toBe('expired');
    expect(Date.now() - now).toBeGreaterThanOrEqual(1950);
    expect(outcomes).toEqual(['expired']);
  });

  it('leaves a decided review alone', async () => {
    await setUp('expire-decided');
    workerConnection = createWorkerConnection({ url: REDIS_URL });
    const { review } = await h.store.findOrCreate(openInput({ rule: rule({ timeoutSeconds: 1 }) }));
    await h.store.decide(review.id, { approver: { id: 'bob', groups: [] }, action: 'approve', via: 'slack' });
    await producers!.scheduleExpire(review);
    const outcomes: string[] = [];
    worker = startExpireWorker({ connection: workerConnection, store: h.store, prefix: queuePrefix });
    worker.on('completed', (_job, result) => outcomes.push(String(result)));
    await expect.poll(() => outcomes, { timeout: 8000 }).toEqual(['not-pending']);
    expect((await h.store.get(review.id))?.state).toBe('approved');
  });
});
