/**
 * Recording required and its Redis unreachable, seen from the real kubectl: the command fails
 * within seconds and prints the gateway's explanation (recording is required, Redis cannot be
 * reached, what the operator can do), instead of client-go retrying a 503 + Retry-After in
 * silence. Nothing reaches the cluster.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';
import { DEMO_POLICY } from './gateway-support.ts';

let stack: Stack;
let kubeconfig: string;

beforeAll(async () => {
  stack = await startStack({
    policy: DEMO_POLICY,
    // Port 1 on loopback: nothing listens there, so every connection is refused at once.
    config: { recording: { redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'test:rec-unreachable' } },
  });
  kubeconfig = await stack.kubeconfigFor(AGENTS.agent.clientId);
});
afterAll(async () => stack?.close());

describeWithKubectl('1.33', 'kubectl against a gateway whose recording Redis is unreachable', () => {
  it.each([
    // kubectl's first request is discovery, whose refusal client-go shows only from a text body.
    ['a read (refused at discovery)', ['-n', 'default', 'get', 'pods'], 'an error on the server ("'],
    // A typed create needs no discovery: the 503 Status itself.
    [
      'a write',
      ['-n', 'scratch', 'create', 'configmap', 'unrecorded', '--from-literal=a=b'],
      'error: failed to create configmap: ',
    ],
  ])('%s fails promptly and says why', { timeout: 90_000 }, async (_what, args, shownAs) => {
    const started = Date.now();
    const result = await runKubectl({ kubeconfig, version: '1.33', args, timeoutMs: 60_000 });
    const elapsed = Date.now() - started;
    expect(result.timedOut, 'kubectl retried in silence until killed').toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`${shownAs}recording unavailable: Redis is not reachable`);
    expect(result.stderr).toContain('recording.required');
    expect(result.stderr).toContain('recording.redisUrl');
    expect(elapsed, `kubectl took ${elapsed} ms: ${result.stderr}`).toBeLessThan(15_000);
    expect(stack.sandbox.requests).toEqual([]);
  });
});
