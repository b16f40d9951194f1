import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { ApprovalsUnavailableError } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { freshPrefix, openInput } from './helpers.ts';

/**
 * Redis down, Redis back: every call fails fast with ApprovalsUnavailableError (→ 503), and the
 * same store works again once Redis returns, with no restart. A throwaway `redis-server` on a
 * free port plays the Redis that comes and goes; it is started and killed by the test.
 */
let server: ChildProcess | undefined;
let redis: Redis | undefined;
let store: ReviewStore | undefined;
let producers: ReviewProducers | undefined;

afterEach(async () => {
  await producers?.close();
  await store?.close();
  redis?.disconnect();
  await stopServer();
});

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function startServer(port: number): Promise<void> {
  server = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = server.stdout!;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 5000);
    ready.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

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
    const port = await freePort();
    redis = createRequestConnection({ url: `redis://127.0.0.1:${port}` });
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
      expect(ms).toBeLessThan(2500);
    }
    console.info(`down: calls failed after ${results.map((r) => r.ms).join(', ')} ms`);

    // Redis comes up on that port: the same store and producers work again.
    await startServer(port);
    await expect
      .poll(async () => (await timed(() => store!.get('r-abcdef'))).error, { timeout: 5000 })
      .toBeUndefined();
    const { review, created } = await store.findOrCreate(openInput());
    expect(created).toBe(true);
    await producers.ensureQueued(review);
    expect(await producers.queue('notify').getJobCounts('waiting')).toMatchObject({ waiting: 1 });

    // Redis hangs (stopped, connection still open): the command timeout answers, not the kernel.
    server!.kill('SIGSTOP');
    const hung = await timed(() => store!.get(review.id));
    server!.kill('SIGCONT');
    expect(hung.error).toBeInstanceOf(ApprovalsUnavailableError);
    expect(hung.ms).toBeLessThan(2500);
    await expect
      .poll(async () => (await timed(() => store!.get(review.id))).error, { timeout: 5000 })
      .toBeUndefined();

    // Redis dies mid-life: fast failure again, not a hang.
    await stopServer();
    const down = await timed(() => store!.get(review.id));
    expect(down.error).toBeInstanceOf(ApprovalsUnavailableError);
    expect(down.ms).toBeLessThan(2500);
    const enqueue = await timed(() => producers!.enqueueNotify(review, 'decided'));
    expect(enqueue.error).toBeInstanceOf(ApprovalsUnavailableError);
    expect(enqueue.ms).toBeLessThan(2500);
  });
});
