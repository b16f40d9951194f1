/**
 * Issue 10, class 7: proxy subresources (`pods/<n>/proxy`, `services/<n>[:port]/proxy`,
 * `nodes/<n>/proxy`) open HTTP into workloads and into the kubelet, whose `/pods` and
 * `/containerLogs` answers the gateway does not mask. They are their own dangerous class: only a
 * rule that names the subresource itself (`pods/proxy`) allows them; a wildcard (`*`, `pods/*`,
 * `*\/proxy`) or `default: allow` never does, and `policy check` says so.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../src/authn/caller.ts';
import { evaluate } from '../../src/policy/evaluate.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { classifyRequest } from '../../src/request/request-info.ts';
import { runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';

const agent: Caller = { issuer: 'https://issuer', subject: 'agent-1', groups: ['ai-agents'], claims: {} };

function decide(policyYaml: string, method: string, path: string) {
  const [rawPath, query = ''] = path.split('?') as [string, string?];
  const info = classifyRequest(method, rawPath, query);
  return evaluate(loadPolicy(policyYaml), { caller: agent, cluster: 'c', info });
}

const rule = (resources: string, verbs = '["*"]') => `
default: deny
rules:
  - name: broad
    action: allow
    match: { groups: [ai-agents], verbs: ${verbs}, resources: ${resources} }
`;
const NO_RESOURCES = `
default: deny
rules:
  - name: read-everything
    action: allow
    match: { groups: [ai-agents], verbs: [get, list, watch] }
`;
const DEFAULT_ALLOW = 'default: allow\nrules: []\n';
const EXPLICIT = `
default: deny
rules:
  - name: pod-proxy
    action: allow
    match: { groups: [ai-agents], verbs: [get], resources: [pods/proxy] }
  - name: read-everything
    action: allow
    match: { groups: [ai-agents], verbs: [get, list, watch], resources: ["*"] }
`;

const PROXY_PATHS = [
  ['pod proxy', 'GET', '/api/v1/namespaces/default/pods/web-0/proxy/metrics'],
  ['pod proxy, port', 'GET', '/api/v1/namespaces/default/pods/web-0:8080/proxy/debug/vars'],
  ['service proxy', 'GET', '/api/v1/namespaces/default/services/web:80/proxy/admin'],
  ['service proxy, https', 'POST', '/api/v1/namespaces/default/services/https:web:443/proxy/run'],
  ['kubelet pods', 'GET', '/api/v1/nodes/node-1/proxy/pods'],
  ['kubelet logs', 'GET', '/api/v1/nodes/node-1/proxy/containerLogs/payments/ledger-0/ledger'],
  ['legacy proxy path', 'GET', '/api/v1/proxy/namespaces/default/pods/web-0/metrics'],
  ['legacy node proxy path', 'GET', '/api/v1/proxy/nodes/node-1/pods'],
] as const;

const BROAD_POLICIES = [
  ['resources: ["*"]', rule('["*"]')],
  ['resources: [pods/*, services/*, nodes/*]', rule('["pods/*", "services/*", "nodes/*"]')],
  ['resources: ["*/proxy"]', rule('["*/proxy"]')],
  ['resources: ["*/*"]', rule('["*/*"]')],
  ['no resources matcher', NO_RESOURCES],
  ['default: allow', DEFAULT_ALLOW],
] as const;

describe('a broad allow never allows a proxy subresource', () => {
  for (const [policyName, policyYaml] of BROAD_POLICIES) {
    for (const [what, method, path] of PROXY_PATHS) {
      it(`${policyName} does not allow ${what}`, () => {
        const decision = decide(policyYaml, method, path);
        expect(decision.action, `${method} ${path}`).toBe('deny');
        // Either the proxy rule refused what a wildcard matched, or no rule matched at all (a
        // legacy path has no subresource for `pods/*` to match; POST is not a read).
        expect(['builtin:proxy-subresources', 'default']).toContain(decision.rule);
        if (decision.rule === 'default') return;
        expect(decision.message).toContain('proxy');
        expect(decision.message).toMatch(/names? .*explicitly/);
      });
    }
  }
});

describe('an explicit rule allows exactly what it names', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods/web-0/proxy/metrics', 'allow'],
    ['GET', '/api/v1/namespaces/default/pods/web-0:8080/proxy/', 'allow'],
    ['POST', '/api/v1/namespaces/default/pods/web-0/proxy/metrics', 'deny'],
    ['GET', '/api/v1/nodes/node-1/proxy/pods', 'deny'],
    ['GET', '/api/v1/namespaces/default/services/web:80/proxy/admin', 'deny'],
  ])('%s %s → %s', (method, path, action) => {
    expect(decide(EXPLICIT, method, path).action).toBe(action);
  });

  it('names the explicit rule as the one that allowed it', () => {
    expect(decide(EXPLICIT, 'GET', '/api/v1/namespaces/default/pods/web-0/proxy/metrics').rule).toBe(
      'pod-proxy',
    );
  });
});

describe('everything else a broad rule allows still works', () => {
  it.each([
    ['GET', '/api/v1/namespaces/default/pods/web-0'],
    ['GET', '/api/v1/namespaces/default/pods/web-0/log'],
    ['GET', '/api/v1/nodes/node-1'],
    ['GET', '/api/v1/namespaces/default/services'],
    ['GET', '/apis/apps/v1/namespaces/default/deployments/web/scale'],
  ])('%s %s', (method, path) => {
    for (const policyYaml of [rule('["*"]'), NO_RESOURCES, DEFAULT_ALLOW]) {
      expect(decide(policyYaml, method, path).action).toBe('allow');
    }
  });
});

describe('policy check', () => {
  const run = promisify(execFile);
  const bin = resolve(import.meta.dirname, '../../bin/hoop-gateway.ts');
  const dir = mkdtempSync(join(tmpdir(), 'hoop-proxy-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const check = async (yaml: string) => {
    const path = join(dir, `p-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, yaml);
    const { stdout, stderr } = await run(process.execPath, [bin, 'policy', 'check', path]);
    return stdout + stderr;
  };

  it.each([
    ['resources: ["*"]', rule('["*"]'), 'broad'],
    ['no resources matcher', NO_RESOURCES, 'read-everything'],
    ['pods/*', rule('["pods/*"]'), 'broad'],
  ])(
    'warns when a broad rule (%s) would otherwise have allowed proxy subresources',
    async (_n, yaml, name) => {
      const out = await check(yaml);
      expect(out).toMatch(/^ok: /m);
      expect(out).toMatch(new RegExp(`warning: rule "${name}".*proxy`));
      expect(out).toContain('pods/proxy');
    },
  );

  it('warns about default: allow', async () => {
    expect(await check(DEFAULT_ALLOW)).toMatch(/warning: default: allow.*proxy/);
  });

  it('is quiet when no rule could reach a proxy subresource', async () => {
    const out = await check(rule('[secrets, configmaps, "deployments/scale"]'));
    expect(out).not.toContain('warning');
  });

  it('is quiet about a rule that names the subresource explicitly', async () => {
    const out = await check(rule('[pods/proxy]', '[get]'));
    expect(out).not.toContain('warning');
  });
});

describe('through the gateway, with the real kubectl', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      policy: {
        default: 'deny',
        rules: [
          {
            name: 'read-everything',
            action: 'allow',
            match: { groups: ['ai-agents'], verbs: ['get', 'list'] },
          },
        ],
      },
    });
  });
  afterAll(async () => stack?.close());

  it('kubectl get --raw through nodes/<n>/proxy is refused with an explanation', async () => {
    const kubeconfig = await stack.kubeconfigFor(AGENTS.agent.clientId);
    const before = stack.sandbox.requests.length;
    const result = await runKubectl({
      kubeconfig,
      args: ['get', '--raw', '/clusters/sandbox/api/v1/nodes/node-1/proxy/pods'],
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Forbidden');
    expect(result.stderr).toContain('nodes/proxy');
    expect(stack.sandbox.requests.slice(before).filter((r) => r.path.includes('/proxy'))).toEqual([]);
  });

  it('an ordinary read under the same rule still works', async () => {
    const kubeconfig = await stack.kubeconfigFor(AGENTS.agent.clientId);
    const result = await runKubectl({ kubeconfig, args: ['get', 'pods', '-n', 'default', '-o', 'name'] });
    expect(result.code, result.stderr).toBe(0);
  });
});
