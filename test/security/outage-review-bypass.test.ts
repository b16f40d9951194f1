/**
 * A Redis outage must not open a way around review. The recording spool keeps allowed calls
 * flowing while Redis is away, so it is the one path that could: here an agent, with the spool
 * on and Redis killed, tries a call policy sends to review again and again (raw HTTPS: kubectl
 * would follow the 503's Retry-After for a minute), and again once Redis is back while the spool
 * is still being flushed. Nothing may reach the cluster
 * without an approval. (A review held across a Sentinel failover: test/ha/sentinel-drill.test.ts.)
 */
import { afterEach, expect, it } from 'vitest';
import { rawRequest, statusMessage } from '../approvals-e2e/raw-https.ts';
import { NAMESPACE_PATH } from '../approvals-e2e/support.ts';
import { getNamespace, type SpoolStack, startSpoolStack } from '../recording/spool-support.ts';
import { describeWithKubectl } from '../support/kubectl.ts';
import { AGENTS } from '../support/stack.ts';

let spooled: SpoolStack | undefined;

afterEach(async () => {
  await spooled?.close();
  spooled = undefined;
});

describeWithKubectl('1.33', 'Redis away, spool on: review cannot be bypassed', () => {
  it('refuses the review-bound call however it is sent, and holds it once Redis is back', async () => {
    spooled = await startSpoolStack();
    const { stack, redis, kubeconfig } = spooled;
    const deletes = () => stack.sandbox.requests.filter((r) => r.method === 'DELETE').length;
    await redis.stop();

    // The spool works: an allowed call goes through.
    expect((await getNamespace(kubeconfig, 'scratch')).code).toBe(0);

    const token = await stack.issuer.issueToken(AGENTS.agent.clientId);
    const attempt = (signal?: AbortSignal) =>
      rawRequest({
        url: `${stack.clusterUrl()}${NAMESPACE_PATH}`,
        method: 'DELETE',
        token,
        caPem: stack.gateway.caPem ?? '',
        body: '{"propagationPolicy":"Background"}',
        ...(signal ? { signal } : {}),
      });
    for (let i = 0; i < 5; i++) {
      const refused = await attempt();
      expect(refused.status).toBe(503);
      expect(statusMessage(refused.body)).toMatch(/^approvals unavailable/);
    }
    expect(deletes()).toBe(0);

    // Redis is back (the spool flushing meanwhile): the call is held for a person, not let through.
    await redis.start();
    const held = await attempt(AbortSignal.timeout(7000)).catch((error: Error) => error);
    // Either still held when the client gave up, or answered "still pending" (429) after the hold.
    if (!(held instanceof Error)) expect(held.status, held.body).toBe(429);
    expect(deletes()).toBe(0);
  });
});
