/**
 * Issue 10, class 5: what the gateway masked must never be written back as if it were the value.
 * `kubectl get secret X -o yaml | kubectl replace -f -` used to replace the real value with the
 * mask marker, silently. Writes (create, update, every patch type, server-side apply; JSON, YAML
 * and protobuf bodies) that carry the marker in a field that holds values are refused with a 422
 * that says why. Driven with the real kubectl against the sandbox, plus raw requests.
 */
import { SEED_VALUES } from '@hoop-gateway/sandbox/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, gatewayRequest, sandboxRequestsDuring } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';

const MARKER = '**hoop-masked**';
const MARKER_B64 = Buffer.from(MARKER).toString('base64');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const NS = '/clusters/sandbox/api/v1/namespaces/scratch';

let stack: Stack;
let kubeconfig: string;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    policy: E2E_POLICY,
    config: {
      masking: {
        rules: [
          { groups: ['ai-agents'], configMaps: [{ namespace: 'scratch', name: '*', keys: ['*password*'] }] },
        ],
      },
    },
  });
  kubeconfig = await stack.kubeconfigFor(AGENTS.agent.clientId);
  token = await stack.issuer.issueToken(AGENTS.agent.clientId);
});
afterAll(async () => stack?.close());

const kubectl = (args: string[], stdin?: string, version?: string) =>
  runKubectl({
    kubeconfig,
    args,
    ...(stdin === undefined ? {} : { stdin }),
    ...(version ? { version } : {}),
  });

/** The write requests (not reads) the sandbox received while `action` ran. */
async function writesDuring<T>(action: () => Promise<T>): Promise<{ result: T; writes: number }> {
  const { result, requests } = await sandboxRequestsDuring(stack, action);
  return { result, writes: requests.filter((r) => !['GET', 'HEAD'].includes(r.method)).length };
}

/** kubectl prints a 422 as "The request is invalid: …" or "error: failed to create …: …". */
function expectWriteBackRefusal(stderr: string): void {
  expect(stderr).toContain('hoop-gateway refused this Secret write');
  expect(stderr).toContain(MARKER);
  expect(stderr).toMatch(/masked by (hoop-)?gateway/i);
}

describe('kubectl writes a masked read back: refused', () => {
  it('get -o yaml | replace -f -', async () => {
    const read = await kubectl(['get', 'secret', 'demo-token', '-n', 'scratch', '-o', 'yaml']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain(MARKER_B64);
    const { result, writes } = await writesDuring(() => kubectl(['replace', '-f', '-'], read.stdout));
    expect(result.code).toBe(1);
    expectWriteBackRefusal(result.stderr);
    expect(writes).toBe(0);
  });

  it.each([
    ['apply (client side)', ['apply', '--validate=false', '-f', '-']],
    ['apply --server-side', ['apply', '--server-side', '--force-conflicts', '--validate=false', '-f', '-']],
  ])('get -o json | %s', async (_what, args) => {
    const read = await kubectl(['get', 'secret', 'demo-token', '-n', 'scratch', '-o', 'json']);
    const { result, writes } = await writesDuring(() => kubectl(args, read.stdout));
    expect(result.code).toBe(1);
    expectWriteBackRefusal(result.stderr);
    expect(writes).toBe(0);
  });

  it.each(['1.29', '1.33'])(
    'kubectl %s create secret with the marker as a value (JSON or protobuf)',
    async (version) => {
      const name = `marker-${version.replace('.', '-')}`;
      const { result, writes } = await writesDuring(() =>
        kubectl(
          ['create', 'secret', 'generic', name, '-n', 'scratch', `--from-literal=password=${MARKER}`],
          undefined,
          version,
        ),
      );
      expect(result.code).toBe(1);
      expectWriteBackRefusal(result.stderr);
      expect(writes).toBe(0);
    },
  );
});

describe('raw writes with the marker in a value field: refused', () => {
  const secretBody = (extra: Record<string, unknown>) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'raw-w' }, ...extra });
  const deployment = (value: string) =>
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'raw-d' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: { containers: [{ name: 'c', image: 'nginx', env: [{ name: 'DB_PASSWORD', value }] }] },
        },
      },
    });
  it.each([
    [
      'Secret data',
      'POST',
      `${NS}/secrets`,
      'application/json',
      secretBody({ data: { password: MARKER_B64 } }),
    ],
    [
      'Secret stringData',
      'POST',
      `${NS}/secrets`,
      'application/json',
      secretBody({ stringData: { password: MARKER } }),
    ],
    [
      'last-applied annotation',
      'POST',
      `${NS}/secrets`,
      'application/json',
      secretBody({
        metadata: {
          name: 'raw-w',
          annotations: {
            'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
              kind: 'Secret',
              data: { password: MARKER_B64 },
            }),
          },
        },
        data: { password: b64('real') },
      }),
    ],
    [
      'merge patch',
      'PATCH',
      `${NS}/secrets/demo-token`,
      'application/merge-patch+json',
      JSON.stringify({ data: { token: MARKER_B64 } }),
    ],
    [
      'strategic merge patch',
      'PATCH',
      `${NS}/secrets/demo-token`,
      'application/strategic-merge-patch+json',
      JSON.stringify({ stringData: { token: MARKER } }),
    ],
    [
      'JSON patch',
      'PATCH',
      `${NS}/secrets/demo-token`,
      'application/json-patch+json',
      JSON.stringify([{ op: 'replace', path: '/data/token', value: MARKER_B64 }]),
    ],
    [
      'JSON patch of the whole map',
      'PATCH',
      `${NS}/secrets/demo-token`,
      'application/json-patch+json',
      JSON.stringify([{ op: 'add', path: '/data', value: { token: MARKER_B64 } }]),
    ],
    [
      'server-side apply (YAML)',
      'PATCH',
      `${NS}/secrets/demo-token?fieldManager=agent`,
      'application/apply-patch+yaml',
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo-token\nstringData:\n  token: "${MARKER}"\n`,
    ],
    [
      'env value of a Deployment',
      'POST',
      '/clusters/sandbox/apis/apps/v1/namespaces/scratch/deployments',
      'application/json',
      deployment(MARKER),
    ],
    [
      'masked ConfigMap key',
      'POST',
      `${NS}/configmaps`,
      'application/json',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'raw-cm' },
        data: { db_password: MARKER },
      }),
    ],
    [
      'protobuf body',
      'POST',
      `${NS}/secrets`,
      'application/vnd.kubernetes.protobuf',
      `k8s\u0000\n\u000c\n\u0002v1\u0012\u0006Secret\u0012...${MARKER}...`,
    ],
  ])('%s', async (_what, method, path, contentType, body) => {
    const { result, writes } = await writesDuring(() =>
      gatewayRequest(stack, { method, path, token, headers: { 'content-type': contentType }, body }),
    );
    expect(writes).toBe(0);
    const status = expectStatus(result, 422, 'Invalid');
    expect(status.message).toContain(MARKER);
    expect(status.message).toMatch(/masked/);
  });
});

describe('ordinary writes still work', () => {
  it('get -o yaml, put the real value back, replace', async () => {
    const read = await kubectl(['get', 'secret', 'demo-token', '-n', 'scratch', '-o', 'yaml']);
    const fixed = read.stdout.replace(MARKER_B64, b64(SEED_VALUES.demoToken));
    const result = await kubectl(['replace', '-f', '-'], fixed);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('replaced');
  });

  it.each(['1.29', '1.33'])('kubectl %s create secret generic with a real value', async (version) => {
    const name = `real-${version.replace('.', '-')}`;
    const result = await kubectl(
      ['create', 'secret', 'generic', name, '-n', 'scratch', '--from-literal=password=an-actual-value'],
      undefined,
      version,
    );
    expect(result.code, result.stderr).toBe(0);
  });

  it('an env value that is not the marker, and a label that mentions it', async () => {
    const result = await gatewayRequest(stack, {
      method: 'PATCH',
      path: `${NS}/secrets/demo-token`,
      token,
      headers: { 'content-type': 'application/merge-patch+json' },
      body: JSON.stringify({ metadata: { annotations: { note: `values show as ${MARKER}` } } }),
    });
    expect(result.status, result.body).toBe(200);
  });
});
