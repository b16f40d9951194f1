/**
 * The kubectl masking tests, shared by the sandbox suite (masking.test.ts) and the real
 * kube-apiserver suite (test/kube-apiserver-e2e/masking.test.ts): both upstreams hold the
 * sandbox's seed objects (packages/sandbox/src/seed.ts), so the same commands must show the
 * marker and never a seeded value. Logs and exec need a kubelet and run only where there is one.
 */
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { expect, it } from 'vitest';
import { runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';

export const MARKER = '**hoop-masked**';
export const MARKER_BASE64 = Buffer.from(MARKER).toString('base64');
export const SECRET_VALUES = [
  SEED_VALUES.ledgerDbPassword,
  SEED_VALUES.demoToken,
  SEED_VALUES.webDbPassword,
  SEED_VALUES.ledgerApiKey,
  SEED_VALUES.awsAccessKeyId,
  SEED_VALUES.awsSecretAccessKey,
];

/** No seeded value, raw or base64, appears in `text`. */
export function expectNoSecret(text: string): void {
  for (const value of SECRET_VALUES) {
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
  }
}

export interface MaskingTarget {
  /** An agent's kubeconfig pointing at the gateway. */
  kubeconfig: string;
  version: string;
  /** Whether pods really run (logs, exec); only the sandbox emulates a kubelet. */
  hasKubelet: boolean;
  /** Creates a Secret upstream behind the gateway's back (`data` base64-encoded). */
  createSecret(namespace: string, name: string, data: Record<string, string>): Promise<void>;
}

/** Defines the tests in the current `describe`; `target` is read when the tests run. */
export function kubectlMaskingTests(target: () => MaskingTarget): void {
  const kubectl = (args: string[]) =>
    runKubectl({ kubeconfig: target().kubeconfig, version: target().version, args, timeoutMs: 30_000 });

  const cases: Array<[string, string[], boolean]> = [
    ['get secret -o yaml', ['-n', 'payments', 'get', 'secret', 'db-credentials', '-o', 'yaml'], false],
    ['get secret -o json', ['-n', 'payments', 'get', 'secret', 'db-credentials', '-o', 'json'], false],
    ['get secrets -A -o yaml', ['get', 'secrets', '-A', '-o', 'yaml'], false],
    ['get pods -o yaml (env)', ['get', 'pods', '-A', '-o', 'yaml'], false],
    ['get deploy -o yaml (pod template env)', ['-n', 'default', 'get', 'deploy', 'web', '-o', 'yaml'], false],
    ['logs of a pod that prints a key', ['-n', 'default', 'logs', 'deploy/web'], true],
    ['exec -- env', ['-n', 'payments', 'exec', 'ledger-0', '--', 'env'], true],
  ];
  it.for(cases)('%s', async ([, args, needsKubelet], context) => {
    if (needsKubelet && !target().hasKubelet) {
      context.skip('no kubelet behind this upstream');
      return;
    }
    const run = await kubectl(args);
    expect(run.code, run.stderr).toBe(0);
    expectNoSecret(run.stdout + run.stderr);
    expect(run.stdout.includes(MARKER) || run.stdout.includes(MARKER_BASE64)).toBe(true);
  });

  it('describe secret shows the size of the masked value, not of the real one', async () => {
    const run = await kubectl(['-n', 'payments', 'describe', 'secret', 'db-credentials']);
    expect(run.code, run.stderr).toBe(0);
    expectNoSecret(run.stdout);
    // describe prints sizes only; the size is the marker's, not the password's.
    expect(run.stdout).toMatch(new RegExp(`password:\\s+${MARKER.length} bytes`));
    expect(SEED_VALUES.ledgerDbPassword.length).not.toBe(MARKER.length);
  });

  it('jsonpath | base64 -d decodes to the marker, so scripts see it was masked', async () => {
    const run = await kubectl([
      '-n',
      'payments',
      'get',
      'secret',
      'db-credentials',
      '-o',
      'jsonpath={.data.password}',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(MARKER_BASE64);
    expect(Buffer.from(run.stdout, 'base64').toString()).toBe(MARKER);
  });

  it('a bounded get secrets -w -o json masks the listed and the watched secrets', async () => {
    const child = spawnKubectl({
      kubeconfig: target().kubeconfig,
      version: target().version,
      args: ['-n', 'scratch', 'get', 'secrets', '-w', '-o', 'json'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitForOutput(child, /demo-token/);
      // A secret created while the watch runs arrives as a watch event, masked too.
      const value = `watched-${Date.now()}`;
      // Listen before creating: an event that arrives while nothing listens is lost.
      const arrived = waitForOutput(child, /"watched"/);
      await target().createSecret('scratch', 'watched', { key: Buffer.from(value).toString('base64') });
      await arrived;
      expect(output).not.toContain(value);
      expect(output).not.toContain(Buffer.from(value).toString('base64'));
      expectNoSecret(output);
      expect(output).toContain(MARKER_BASE64);
    } finally {
      child.kill();
    }
  });
}
