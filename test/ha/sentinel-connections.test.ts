import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withRedis } from '../../src/approvals/unavailable-error.ts';
import {
  createRequestConnection,
  createWorkerConnection,
  duplicateConnection,
  type RedisConnection,
} from '../../src/queues/connections.ts';
import { type SentinelRedis, startSentinelRedis } from '../support/sentinel-redis.ts';

/**
 * Every connection kind the factory makes (request path, worker, subscriber) through real
 * Sentinels, across a real failover: the primary is SIGKILLed, the Sentinels promote the replica,
 * and each connection must end up on the new primary without being recreated; a request-path
 * call made while there is no primary waits for the new one instead of failing.
 */
let redis: SentinelRedis;
const open: RedisConnection[] = [];

beforeAll(async () => {
  redis = await startSentinelRedis();
});

afterAll(async () => {
  for (const connection of open) connection.disconnect();
  await redis?.stop();
});

/** Retries `call` until it succeeds (a failover takes seconds); fails the test after `ms`. */
async function eventually<T>(call: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('connections through Sentinel', () => {
  it('follow the primary through a failover: request path, worker and subscriber', async () => {
    const request = createRequestConnection({ redis: redis.settings, name: 'drill-request' });
    const worker = createWorkerConnection({ redis: redis.settings, name: 'drill-worker' });
    const subscriber = duplicateConnection(request, 'drill-subscriber');
    open.push(request, worker, subscriber);
    await eventually(() => request.set('drill:before', 'written-before-the-kill'));
    await eventually(() => request.wait(1, 2000));
    const heard: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => heard.push(message));
    await eventually(() => subscriber.subscribe('drill:channel'));

    const old = await redis.killPrimary();
    // Queued on the patient worker connection while there is no primary; runs on the new one.
    const queued = worker.incr('drill:worker-counter');
    // A request-path call made with no primary rides out the failover (the outage wait Sentinel
    // gets by default) instead of failing after a second.
    const during = withRedis(request, 1000, () => request.incr('drill:during-failover'));
    const promoted = await redis.waitForFailover(old);
    expect(promoted.port).not.toBe(old.port);

    // The fail-fast connection reaches the new primary and reads what was replicated to it.
    expect(await eventually(() => request.get('drill:before'))).toBe('written-before-the-kill');
    await eventually(() => request.set('drill:after', 'written-after-the-failover'));
    const role = (await request.call('ROLE')) as string[];
    expect(role[0]).toBe('master');
    expect(await queued).toBe(1);
    expect(await during).toBeGreaterThanOrEqual(1);

    // The subscriber was resubscribed on the new primary: a message published now arrives.
    await eventually(async () => {
      await request.publish('drill:channel', 'after-failover');
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (!heard.includes('after-failover')) throw new Error('not heard yet');
    });
    // The killed node comes back as a replica, so the next test has a replica to promote.
    await redis.restart(old);
  }, 120_000); // the restart may wait for Sentinel, then reconfigure itself (test/support/sentinel-redis.ts)

  it('a connection ioredis ends by itself is waited for, one closed on purpose fails at once', async () => {
    const request = createRequestConnection({ redis: redis.settings, name: 'drill-revived' });
    open.push(request);
    await eventually(() => request.ping());
    // What ioredis does when +switch-master arrives mid-reconnect: it ends the connection without
    // anyone closing it (the prototype's disconnect, not the factory's wrapper that marks a close).
    const ended = new Promise((resolve) => request.once('end', resolve));
    Redis.prototype.disconnect.call(request);
    await ended;
    expect(request.status).toBe('end');
    // A call arriving in that moment waits for the revival instead of answering 503.
    expect(await withRedis(request, 5000, () => request.incr('drill:revived'))).toBeGreaterThanOrEqual(1);
    expect(request.status).toBe('ready');

    request.disconnect();
    await expect(withRedis(request, 5000, () => request.incr('drill:revived'))).rejects.toThrow(
      /connection was closed/,
    );
  });

  it('move off a demoted primary that stays up (SENTINEL FAILOVER): no write is lost to READONLY', async () => {
    const request = createRequestConnection({ redis: redis.settings, name: 'drill-request-2' });
    open.push(request);
    await eventually(() => request.set('drill:demoted', 'before'));
    const old = await redis.primary();
    const sentinel = createRequestConnection({ url: `redis://127.0.0.1:${redis.sentinels[0]!.port}` });
    open.push(sentinel);
    await eventually(() => sentinel.call('SENTINEL', 'FAILOVER', redis.masterName));
    const promoted = await redis.waitForFailover(old);
    expect(promoted.port).not.toBe(old.port);
    // Sentinel names the new primary before it has reconfigured the old one; until then the old
    // one still takes writes (Redis' documented window, not this test's subject). Wait it out.
    await redis.waitForDemotion(old, promoted);
    const demoted = createRequestConnection({ url: `redis://127.0.0.1:${old.port}` });
    open.push(demoted);
    expect(((await eventually(() => demoted.call('ROLE'))) as string[])[0]).toBe('slave');
    // The old primary is alive and now a replica: a write sent to it would get READONLY. The
    // connection follows the switch (or reconnects on READONLY) and the write lands on the new one.
    for (let i = 0; i < 20; i++) {
      await withRedis(request, 1000, () => request.incr('drill:demoted-counter'));
    }
    const direct = createRequestConnection({ url: `redis://127.0.0.1:${promoted.port}` });
    open.push(direct);
    expect(Number(await eventually(() => direct.get('drill:demoted-counter')))).toBeGreaterThanOrEqual(20);
    expect(((await request.call('ROLE')) as string[])[0]).toBe('master');
  }, 90_000); // Sentinel's conversion of the old primary may wait out a TILT pause (waitForDemotion)
});
