import { afterEach, expect, it } from 'vitest';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';
import { rawRequest, statusMessage } from './raw-https.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from './support.ts';

/**
 * Redis down: approvals fail closed (503 "approvals unavailable" for the calls that need review)
 * while the calls the policy allows keep flowing; Redis back: the same gateway process holds and
 * resumes calls again, with no restart. The Redis here is a throwaway server the test kills.
 */
let stack: ApprovalsStack | undefined;
let redis: ThrowawayRedis | undefined;

afterEach(async () => {
  await redis?.start().catch(() => undefined); // so cleanup can delete the test's keys
  await stack?.close();
  await redis?.stop();
  stack = undefined;
  redis = undefined;
});

describeWithKubectl('1.33', 'Redis outage', () => {
  it('503 for review-bound calls, allowed reads still work, and approvals recover without a restart', async () => {
    redis = await throwawayRedis();
    await redis.start();
    stack = await startApprovalsStack({ approvals: { redisUrl: redis.url } });
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    await redis.stop();

    const started = Date.now();
    const refused = await rawRequest({
      url: `${stack.clusterUrl()}${NAMESPACE_PATH}`,
      method: 'DELETE',
      token: await stack.issuer.issueToken('agent-1'),
      caPem: stack.gateway.caPem ?? '',
      body: '{"propagationPolicy":"Background"}',
    });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(statusMessage(refused.body)).toMatch(/^approvals unavailable: /);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);

    const read = await runKubectl({ kubeconfig, version: '1.33', args: ['get', 'namespaces', '-o', 'name'] });
    expect(read).toMatchObject({ code: 0, stderr: '' });
    expect(read.stdout).toContain('namespace/scratch');

    await redis.start();
    const kubectl = runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['delete', 'namespace', 'scratch'],
      timeoutMs: 60_000,
    });
    const [review] = await stack.pending();
    await stack.decide(review!.id, 'approve');
    const result = await kubectl;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
    const log = stack.logs().find((l) => l['msg'] === 'request' && l['status'] === 503);
    expect(log).toMatchObject({ decision: 'review', refusal: 'approvals unavailable' });
  });
});
