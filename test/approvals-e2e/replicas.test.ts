import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../gateway/main.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { type ApprovalsStack, NAMESPACE_PATH, sleep, startApprovalsStack } from './support.ts';
import { type SwitchProxy, startSwitchProxy } from './switch-proxy.ts';

/**
 * Reviews live in Redis, not in a gateway: a held `kubectl delete namespace` whose 429 retry
 * reaches a second replica, or a restarted gateway, completes there once approved, with exactly
 * one DELETE upstream. A TCP relay plays the load balancer; both gateways run in this process.
 */
let stack: ApprovalsStack | undefined;
let proxy: SwitchProxy | undefined;
const extra: RunningGateway[] = [];

afterEach(async () => {
  await proxy?.close();
  for (const gateway of extra.splice(0)) await gateway.close();
  await stack?.close();
  stack = undefined;
  proxy = undefined;
});

/** Another gateway process's worth: the same config file (Redis, prefix, TLS dir), its own port. */
async function startReplica(s: ApprovalsStack): Promise<{ gateway: RunningGateway; lines: string[] }> {
  const lines: string[] = [];
  const stream = { write: (line: string) => void lines.push(line) };
  const gateway = await startGateway(await loadConfigFile(s.configFile), pino({ level: 'info' }, stream));
  extra.push(gateway);
  return { gateway, lines };
}

const statuses = (lines: string[], id: string): number[] =>
  lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry['msg'] === 'request' && entry['review'] === id)
    .map((entry) => entry['status'] as number);

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Starts `kubectl delete namespace scratch` through the relay and waits for the first 429. */
async function heldThroughProxy(s: ApprovalsStack, version: string) {
  proxy = await startSwitchProxy(s.gateway.port);
  const kubeconfig = await s.kubeconfigAt('agent-1', `https://127.0.0.1:${proxy.port}/clusters/sandbox`);
  const kubectl = runKubectl({
    kubeconfig,
    version,
    args: ['delete', 'namespace', 'scratch'],
    timeoutMs: 60_000,
  });
  const [review] = await s.pending();
  await until(() => statuses(s.logLines, review!.id).includes(429), 'the first 429');
  return { kubectl, review: review! };
}

const options = { approvals: { holdSeconds: 1, retryAfterSeconds: 2 } };

describeWithKubectl(['1.31', '1.33'], 'held requests across gateway processes', () => {
  it('a retry that reaches a second replica on the same Redis completes there (1.31)', async () => {
    stack = await startApprovalsStack({ ...options, kubeVersion: '1.31' });
    const replica = await startReplica(stack);
    const { kubectl, review } = await heldThroughProxy(stack, '1.31');
    proxy!.switchTo(replica.gateway.port);
    await until(() => statuses(replica.lines, review.id).length > 0, 'the replica to see a retry');
    await stack.decide(review.id, 'approve');

    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0 });
    expect(statuses(replica.lines, review.id).at(-1)).toBe(200);
    expect(statuses(stack.logLines, review.id).every((status) => status === 429)).toBe(true);
    expect(await stack.store.list({ limit: 10 })).toHaveLength(1);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
  });

  it('an approval reaches the replica that holds the call, promptly (pub/sub)', async () => {
    stack = await startApprovalsStack({ approvals: { holdSeconds: 20 } });
    const replica = await startReplica(stack);
    proxy = await startSwitchProxy(replica.gateway.port);
    const kubeconfig = await stack.kubeconfigAt(
      'agent-1',
      `https://127.0.0.1:${proxy.port}/clusters/sandbox`,
    );
    const kubectl = runKubectl({ kubeconfig, version: '1.33', args: ['delete', 'namespace', 'scratch'] });
    const [review] = await stack.pending();
    await sleep(300);
    const approvedAt = Date.now();
    await stack.decide(review!.id, 'approve');
    const result = await kubectl;
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const forwarded = stack.sandbox.requests.find((r) => r.method === 'DELETE' && r.path === NAMESPACE_PATH);
    // Well under the 2 s poll: the event woke the held request.
    expect(forwarded!.at - approvedAt).toBeLessThan(1500);
    expect(statuses(replica.lines, review!.id)).toEqual([200]);
  });

  it('a gateway restart during the wait loses nothing: the retry completes on the new process', async () => {
    stack = await startApprovalsStack(options);
    const { kubectl, review } = await heldThroughProxy(stack, '1.33');
    await stack.gateway.close();
    const restarted = await startReplica(stack);
    proxy!.switchTo(restarted.gateway.port);
    await stack.decide(review.id, 'approve');

    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0 });
    expect(statuses(restarted.lines, review.id).at(-1)).toBe(200);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
  });
});
