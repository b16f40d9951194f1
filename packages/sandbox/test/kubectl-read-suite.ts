/**
 * What kubectl reads, per version: get/describe with selectors, NotFound, auth reviews, the
 * dispatcher, `get -w` and `logs -f`. Run by kubectl-1.XX.test.ts against its own sandbox.
 */
import { expect, it } from 'vitest';
import {
  describeWithKubectl,
  runKubectl,
  spawnKubectl,
  waitForOutput,
} from '../../../test/support/kubectl.ts';
import { SEED_VALUES } from '../src/server.ts';
import { useKubectlSandbox } from './kubectl-fixture.ts';

export function kubectlReadSuite(version: string): void {
  describeWithKubectl(version, `kubectl ${version} reads from the sandbox`, () => {
    const f = useKubectlSandbox(version);

    it('gets, lists with selectors and describes', async () => {
      const [pods, web, describePod, describeDeploy] = await Promise.all([
        f.ok(['get', 'pods', '-A']),
        f.ok(['get', 'pods', '-l', 'app in (web)', '-o', 'name']),
        f.ok(['describe', 'pod', 'ledger-0', '-n', 'payments']),
        f.ok(['describe', 'deployment', 'web']),
      ]);
      expect(pods).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
      expect(pods).toMatch(/payments\s+ledger-0\s+1\/1\s+Running\s+0\s+\d+s/);
      expect(web.trim().split('\n')).toHaveLength(2);
      expect(describePod).toMatch(/Status:\s+Running/);
      expect(describePod).toContain(`API_KEY:      ${SEED_VALUES.ledgerApiKey}`);
      expect(describeDeploy).toMatch(/Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available/);
    });

    it('prints Error from server (NotFound) for a missing object', async () => {
      const result = await f.kubectl(['get', 'pod', 'nope', '-n', 'payments']);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe('Error from server (NotFound): pods "nope" not found');
    });

    it('answers auth whoami and can-i (the impersonated identity when one is given)', async () => {
      expect(await f.ok(['auth', 'can-i', 'delete', 'secrets', '-n', 'payments'])).toBe('yes\n');
      const whoami = await f.ok(['auth', 'whoami', '--as=agent-1', '--as-group=ai-agents']);
      expect(whoami).toMatch(/Username\s+agent-1/);
      expect(whoami).toMatch(/Groups\s+\[ai-agents system:authenticated\]/);
      expect(f.sandbox.requests.at(-1)?.headers).toMatchObject({
        impersonateUser: 'agent-1',
        impersonateGroups: ['ai-agents'],
      });
    });

    it.runIf(version === '1.31')(
      'lets the /usr/bin/kubectl dispatcher pick kubectl by /version',
      async () => {
        const result = await runKubectl({ kubeconfig: f.kubeconfig, args: ['version', '-o', 'json'] });
        expect(result.code).toBe(0);
        const versions = JSON.parse(result.stdout) as Record<string, { minor: string }>;
        expect(versions['clientVersion']?.minor).toBe('31');
        expect(versions['serverVersion']?.minor).toBe('31');
      },
    );

    it('watches with get -w and prints changes as they happen', async () => {
      const child = spawnKubectl({
        kubeconfig: f.kubeconfig,
        version,
        args: ['get', 'configmaps', '-n', 'payments', '-w'],
      });
      try {
        await waitForOutput(child, /ledger-config\s+2\s+\d+s\n/);
        const cm = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'watched', namespace: 'payments' },
          data: { a: '1' },
        };
        f.sandbox.store.create('configmaps', cm);
        await waitForOutput(child, /watched\s+1\s+\d+s\n/);
      } finally {
        child.kill();
      }
    });

    it('reads logs and follows them', async () => {
      const logs = await f.kubectl(['logs', 'deployment/web', '--tail=5']);
      expect(logs.code).toBe(0);
      expect(logs.stdout).toContain(SEED_VALUES.awsAccessKeyId);
      expect(logs.stdout.trim().split('\n')).toHaveLength(5);
      const child = spawnKubectl({
        kubeconfig: f.kubeconfig,
        version,
        args: ['logs', '-f', 'ledger-0', '-n', 'payments'],
      });
      try {
        const seen = await waitForOutput(child, /heartbeat 2/);
        expect(seen).toContain('ledger: listening on :9090');
      } finally {
        child.kill();
      }
    });
  });
}
