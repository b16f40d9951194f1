/**
 * A held call whose Redis goes away. The review stage holds a request while a person decides;
 * if the approvals store disappears meanwhile the call can never be decided, and the agent must
 * learn that quickly (a clear 503 it can retry), not after many seconds of silence. The Redis
 * here is a throwaway server the test kills; nothing reaches the cluster.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest, statusMessage } from '../approvals-e2e/raw-https.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

let stack: ApprovalsStack | undefined;
let redis: ThrowawayRedis | undefined;

afterEach(async () => {
  await redis?.start().catch(() => undefined); // so cleanup can delete the test's keys
  await stack?.close();
  await redis?.stop();
  stack = undefined;
  redis = undefined;
});

/** How soon after Redis dies the held call must have its answer. */
const WITHIN_MS = 1500;

describe('Redis goes away while a call is held', () => {
  it(`the held call answers 503 "approvals unavailable" within ${WITHIN_MS} ms`, async () => {
    redis = await throwawayRedis();
    await redis.start();
    stack = await startApprovalsStack({ approvals: { redisUrl: redis.url, holdSeconds: 30 } });
    const held = rawRequest({
      url: `${stack.clusterUrl()}${NAMESPACE_PATH}`,
      method: 'DELETE',
      token: await stack.issuer.issueToken('agent-1'),
      caPem: stack.gateway.caPem ?? '',
      body: '{"propagationPolicy":"Background"}',
    });
    await stack.pending();
    // Let the hold settle into its wait (subscribed, polling) before Redis goes.
    await new Promise((resolve) => setTimeout(resolve, 300));

    await redis.stop();
    const killed = Date.now();
    const response = await held;
    const elapsed = Date.now() - killed;

    expect(response.status, response.body).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(statusMessage(response.body)).toMatch(/^approvals unavailable: /);
    expect(elapsed).toBeLessThan(WITHIN_MS);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);
  });

  it('control: with Redis up, the held call waits and goes through once approved', async () => {
    redis = await throwawayRedis();
    await redis.start();
    stack = await startApprovalsStack({ approvals: { redisUrl: redis.url, holdSeconds: 30 } });
    const held = rawRequest({
      url: `${stack.clusterUrl()}${NAMESPACE_PATH}`,
      method: 'DELETE',
      token: await stack.issuer.issueToken('agent-1'),
      caPem: stack.gateway.caPem ?? '',
      body: '{"propagationPolicy":"Background"}',
    });
    const [review] = await stack.pending();
    // Held well past every fail-fast timer the fix uses, then approved.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await stack.decide(review!.id, 'approve');
    const response = await held;
    expect(response.status, response.body).toBe(200);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
  });
});
