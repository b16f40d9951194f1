import { afterEach, describe, expect, it } from 'vitest';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { ApprovalsUnavailableError } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';
import { freshPrefix, openInput } from './helpers.ts';

/**
 * Redis down, Redis back: every call fails fast with ApprovalsUnavailableError (→ 503), and the
 * same store works again once Redis returns, with no restart. A throwaway `redis-server` on a
 * free port plays the Redis that comes and goes; it is started and killed by the test.
 */
let server: ThrowawayRedis | undefined;
let redis: RedisConnection | undefined;
let store: ReviewStore | undefined;
let producers: ReviewProducers | undefined;

afterEach(async () => {
  await producers?.close();
  await store?.close();
  redis?.disconnect();
  await server?.stop();
  server = undefined;
});

/**
 * Tells an answer from a hang, not fast from slow: without the connection's timeouts these calls
 * would wait for ever (a paused Redis keeps the socket open). The timeouts are 1–1.5 s; the bound
 * is wide because a loaded 2-core CI machine delays timers by seconds.
 */
const NOT_A_HANG_MS = 15_000;

async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await call();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe('Redis unavailable', () => {
  it('fails fast with ApprovalsUnavailableError and recovers without a restart', async () => {
    server = await throwawayRedis();
    redis = createRequestConnection({ url: server.url });
    store = new ReviewStore({ connection: redis, prefix: freshPrefix('down') });
    producers = new ReviewProducers({ connection: redis, prefix: freshPrefix('down-q') });

    // Nothing listens: every kind of call gives up within ~1–2 s with a typed 503.
    const calls: Array<() => Promise<unknown>> = [
      () => store!.findOrCreate(openInput()),
      () => store!.get('r-abcdef'),
      () => store!.consume('a'.repeat(64)),
      () =>
        store!.decide('r-abcdef', { approver: { id: 'bob', groups: [] }, action: 'approve', via: 'slack' }),
      () => store!.waitForDecision('r-abcdef', { timeoutMs: 10_000 }),
      () => producers!.enqueueNotify({ id: 'r-abcdef' }),
    ];
    const results = await Promise.all(calls.map((call) => timed(call)));
    for (const { ms, error } of results) {
      expect(error).toBeInstanceOf(ApprovalsUnavailableError);
      expect((error as ApprovalsUnavailableError).code).toBe(503);
      expect((error as ApprovalsUnavailableError).message).toMatch(/^approvals unavailable/);
      expect(ms).toBeLessThan(NOT_A_HANG_MS);
    }
    console.info(`down: calls failed after ${results.map((r) => r.ms).join(', ')} ms`);

    // Redis comes up on that port: the same store and producers work again.
    await server.start();
    await expect
      .poll(async () => (await timed(() => store!.get('r-abcdef'))).error, { timeout: 5000 })
      .toBeUndefined();
    const { review, created } = await store.findOrCreate(openInput());
    expect(created).toBe(true);
    await producers.ensureQueued(review);
    expect(await producers.queue('notify').getJobCounts('waiting')).toMatchObject({ waiting: 1 });

    // Redis hangs (stopped, connection still open): the command timeout answers, not the kernel.
    server.pause();
    const hung = await timed(() => store!.get(review.id));
    server.resume();
    expect(hung.error).toBeInstanceOf(ApprovalsUnavailableError);
    expect(hung.ms).toBeLessThan(NOT_A_HANG_MS);
    await expect
      .poll(async () => (await timed(() => store!.get(review.id))).error, { timeout: 5000 })
      .toBeUndefined();

    // Redis dies mid-life: fast failure again, not a hang.
    await server.stop();
    const down = await timed(() => store!.get(review.id));
    expect(down.error).toBeInstanceOf(ApprovalsUnavailableError);
    expect(down.ms).toBeLessThan(NOT_A_HANG_MS);
    const enqueue = await timed(() => producers!.enqueueNotify(review, 'decided'));
    expect(enqueue.error).toBeInstanceOf(ApprovalsUnavailableError);
    expect(enqueue.ms).toBeLessThan(NOT_A_HANG_MS);
  });
});
