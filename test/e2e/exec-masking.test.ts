/**
 * Exec output is masked whether or not recording is on: the gateway terminates a WebSocket exec
 * whenever the caller's masking rules mask text, and relays it frame by frame through the masker
 * (gateway/masking/exec-output.ts plugged into upstream/exec-relay-websocket.ts). Here the stack
 * has no `recording:` section at all.
 */
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubectl } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { E2E_POLICY } from './policy.ts';

const MARKER = '**hoop-masked**';

let stack: Stack;
let kubeconfig: string;

beforeAll(async () => {
  stack = await startStack({ policy: E2E_POLICY });
  kubeconfig = await stack.kubeconfigFor('agent-1');
});
afterAll(async () => {
  await stack?.close();
});

describe.each(['1.31', '1.33'])('kubectl %s exec with recording off', (version) => {
  const kubectl = (args: string[], stdin?: string) =>
    runKubectl({ kubeconfig, version, args, timeoutMs: 30_000, ...(stdin === undefined ? {} : { stdin }) });

  it('masks credentials in the output of env', async () => {
    const run = await kubectl(['-n', 'payments', 'exec', 'ledger-0', '--', 'env']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(MARKER);
    for (const value of [SEED_VALUES.ledgerDbPassword, SEED_VALUES.ledgerApiKey]) {
      expect(run.stdout + run.stderr).not.toContain(value);
    }
    // Ordinary lines pass, with any known secret value in them masked: the pod references the
    // Secret db-credentials, whose username is "ledger", so the host name shows it masked too.
    expect(run.stdout).toMatch(/^HOSTNAME=\*\*hoop-masked\*\*-0$/m);
  });

  it('relays stdin and stdout unchanged when nothing in them is secret', async () => {
    const run = await kubectl(['-n', 'payments', 'exec', '-i', 'ledger-0', '--', 'cat'], 'hello\nworld\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('hello\nworld\n');
  });

  it('reports the command’s exit code', async () => {
    const run = await kubectl(['-n', 'payments', 'exec', 'ledger-0', '--', 'sh', '-c', 'exit 3']);
    expect(run.code).toBe(3);
  });
});
