import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '@hoop-gateway/sandbox/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderKubeconfig } from '../../src/kubeconfig/render.ts';
import { runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';
import { E2E_POLICY } from './policy.ts';

/**
 * An upstream whose exec credential plugin first hands out a token the cluster refuses (as after
 * a rotation): the gateway drops it on the cluster's 401, runs the plugin again and sends a
 * bodiless request once more, so the agent never sees the gateway's own credential trouble. A
 * plugin that fails is a 503 that says the credential is the gateway's, with its stderr.
 */

let stack: Stack;
let upstream: Sandbox;
let dir: string;
const GOOD = 'rotated-upstream-token-good';

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\necho run >> "${path}.runs"\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}
const runsOf = async (path: string) =>
  (await readFile(`${path}.runs`, 'utf8')).split('\n').filter(Boolean).length;
const credential = (token: string) =>
  `printf '%s' '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"${token}"}}'`;
let rotating: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-renewal-'));
  upstream = await startSandbox({ token: GOOD, seed: true });
  // First run: a token the cluster no longer takes; every later run: the good one.
  rotating = await script(
    'rotating.sh',
    `if [ "$(wc -l < "${join(dir, 'rotating.sh')}.runs")" -le 1 ]; then ${credential('stale-token')}; else ${credential(GOOD)}; fi`,
  );
  const broken = await script(
    'broken.sh',
    'echo "An error occurred (ExpiredTokenException): token expired" >&2; exit 255',
  );
  const kubeconfig = (command: string) =>
    renderKubeconfig({
      server: upstream.url,
      caPem: upstream.caPem,
      name: 'up',
      user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command, interactiveMode: 'Never' } },
    });
  await writeFile(join(dir, 'rotating.kubeconfig'), kubeconfig(rotating));
  await writeFile(join(dir, 'broken.kubeconfig'), kubeconfig(broken));
  stack = await startStack({
    policy: E2E_POLICY,
    extraClusters: [
      { name: 'rotating', kubeconfig: { path: join(dir, 'rotating.kubeconfig') } },
      { name: 'broken', kubeconfig: { path: join(dir, 'broken.kubeconfig'), execTimeout: '5s' } },
    ],
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('upstream credential renewal', () => {
  it('a refused cached token is renewed and the request sent again: kubectl never sees the 401', async () => {
    const kubeconfig = await stack.kubeconfigFor(AGENTS.agent.clientId, 'rotating');
    upstream.requests.length = 0;
    const result = await runKubectl({ kubeconfig, args: ['-n', 'payments', 'get', 'pods', '-o', 'name'] });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pod/ledger-0');
    expect(upstream.requests.filter((r) => r.headers.authorization === 'invalid')).toHaveLength(1);
    expect(await runsOf(rotating)).toBe(2);
    // From now on the renewed token is used without running the plugin again.
    await runKubectl({ kubeconfig, args: ['-n', 'payments', 'get', 'pods', '-o', 'name'] });
    expect(await runsOf(rotating)).toBe(2);
  });

  it('a failing plugin is a 503 saying it is the gateway credential, with the plugin stderr', async () => {
    const token = await stack.issuer.issueToken(AGENTS.agent.clientId);
    const answer = await new Promise<{ status: number; body: { reason?: string; message?: string } }>(
      (resolve, reject) => {
        const req = request(`${stack.clusterUrl('broken')}/api/v1/namespaces/payments/pods`, {
          ca: stack.gateway.caPem,
          headers: { authorization: `Bearer ${token}` },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer.status).toBe(503);
    expect(answer.body.reason).toBe('ServiceUnavailable');
    expect(answer.body.message).toMatch(
      /broken\.sh" exited with code 255: An error occurred \(ExpiredTokenException\)/,
    );
    expect(answer.body.message).toMatch(/not yours/);
  });
});
