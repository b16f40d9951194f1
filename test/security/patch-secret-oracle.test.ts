/**
 * Issue 10, class 3: with patch rights on Secrets (the e2e policy lets agents change objects in
 * namespace scratch), a JSON patch can read a value it is never shown: `copy`/`move` it from
 * `/data/<key>` into an annotation, the name, `apiVersion` or `generateName` (the value comes back
 * in the object or in the Status message), or `test` it against guesses (an oracle). The gateway
 * refuses JSON-patch operations whose `from` (copy, move) or `path` (test) reads a field that
 * holds values — and masks request values a Status message echoes. Driven with the real kubectl
 * against the sandbox, plus raw requests and a stand-in upstream for the Status echo.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_VALUES } from '@hoop-gateway/sandbox/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, upstreamKubeconfig, upstreamTls } from '../e2e/fake-upstreams.ts';
import { expectStatus, gatewayRequest, sandboxRequestsDuring } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const TOKEN = SEED_VALUES.demoToken;
const LEAKS = [TOKEN, b64(TOKEN)];
const ENV_VALUE = 'env-literal-9c1b7e';
const CM_VALUE = 'cm-password-31a9d2';

let stack: Stack;
let kubeconfig: string;
let token: string;
let standin: Server;
let dir: string;
/** Bodies the stand-in received: it echoes each into a Status message, as a careless server might. */
const echoed: string[] = [];

beforeAll(async () => {
  const tls = await upstreamTls();
  standin = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      echoed.push(body);
      const status = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        reason: 'Invalid',
        code: 422,
        message: `Secret "s" is invalid: you sent ${body}`,
        details: { name: 's', kind: 'secrets', causes: [{ reason: 'FieldValueInvalid', message: body }] },
      };
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify(status));
    });
  });
  const port = await listen(standin);
  dir = await mkdtemp(join(tmpdir(), 'oracle-'));
  const standinConfig = await upstreamKubeconfig(dir, 'standin', port, tls.caPem);
  stack = await startStack({
    policy: E2E_POLICY,
    extraClusters: [{ name: 'standin', kubeconfig: { path: standinConfig } }],
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
  // A workload with a literal env value and a ConfigMap with a masked key, in scratch.
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'oracle-web', namespace: 'scratch' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'oracle-web' } },
          template: {
            metadata: { labels: { app: 'oracle-web' } },
            spec: {
              containers: [{ name: 'web', image: 'nginx', env: [{ name: 'DB_PASSWORD', value: ENV_VALUE }] }],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'oracle-cm', namespace: 'scratch' },
        data: { db_password: CM_VALUE, colour: 'blue' },
      },
    ],
  });
  const created = await runKubectl({
    kubeconfig,
    args: ['apply', '--validate=false', '-f', '-'],
    stdin: manifest,
  });
  expect(created.code, created.stderr).toBe(0);
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => standin?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const patch = (ops: unknown[]) => [
  'patch',
  'secret',
  'demo-token',
  '-n',
  'scratch',
  '--type=json',
  '-p',
  JSON.stringify(ops),
];

describe('kubectl patch --type=json that reads a Secret value is refused', () => {
  it.each([
    ['copy into an annotation', [{ op: 'copy', from: '/data/token', path: '/metadata/annotations/x' }]],
    ['copy into the name', [{ op: 'copy', from: '/data/token', path: '/metadata/name' }]],
    ['copy into apiVersion', [{ op: 'copy', from: '/data/token', path: '/apiVersion' }]],
    ['copy into generateName', [{ op: 'copy', from: '/data/token', path: '/metadata/generateName' }]],
    ['move into a label', [{ op: 'move', from: '/data/token', path: '/metadata/labels/x' }]],
    ['test as a guessing oracle', [{ op: 'test', path: '/data/token', value: b64('guess') }]],
    ['test of the whole data map', [{ op: 'test', path: '/data', value: { token: b64('guess') } }]],
    ['copy of the whole data map', [{ op: 'copy', from: '/data', path: '/metadata/annotations' }]],
    ['copy of the whole object', [{ op: 'copy', from: '', path: '/metadata/annotations/x' }]],
    ['copy of metadata (last-applied inside)', [{ op: 'copy', from: '/metadata', path: '/data/m' }]],
    [
      'copy of the last-applied annotation',
      [
        {
          op: 'copy',
          from: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration',
          path: '/metadata/labels/x',
        },
      ],
    ],
    [
      'a pointer whose first segment is not empty',
      [{ op: 'copy', from: 'x/data/token', path: '/metadata/name' }],
    ],
    ['stringData', [{ op: 'copy', from: '/stringData/token', path: '/metadata/name' }]],
    [
      'behind a harmless first operation',
      [
        { op: 'add', path: '/metadata/labels', value: { a: 'b' } },
        { op: 'copy', from: '/data/token', path: '/metadata/labels/x' },
      ],
    ],
  ])('%s', async (_what, ops) => {
    const before = stack.sandbox.requests.length;
    const result = await runKubectl({ kubeconfig, args: patch(ops) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toMatch(/JSON.patch/i);
    for (const leak of LEAKS) expect(result.stdout + result.stderr).not.toContain(leak);
    const patches = stack.sandbox.requests.slice(before).filter((r) => r.method === 'PATCH');
    expect(patches).toEqual([]);
  });
});

describe('reads of other value fields are refused too', () => {
  it.each([
    [
      'a Deployment env value',
      '/clusters/sandbox/apis/apps/v1/namespaces/scratch/deployments/oracle-web',
      [{ op: 'copy', from: '/spec/template/spec/containers/0/env/0/value', path: '/metadata/annotations/x' }],
    ],
    [
      'a Deployment container (env inside)',
      '/clusters/sandbox/apis/apps/v1/namespaces/scratch/deployments/oracle-web',
      [{ op: 'copy', from: '/spec/template/spec/containers/0', path: '/metadata/annotations/x' }],
    ],
    [
      'an env value by test',
      '/clusters/sandbox/apis/apps/v1/namespaces/scratch/deployments/oracle-web',
      [{ op: 'test', path: '/spec/template/spec/containers/0/env/0/value', value: 'guess' }],
    ],
    [
      'a masked ConfigMap key',
      '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/oracle-cm',
      [{ op: 'copy', from: '/data/db_password', path: '/metadata/annotations/x' }],
    ],
  ])('%s', async (_what, path, ops) => {
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, {
        method: 'PATCH',
        path,
        token,
        headers: { 'content-type': 'application/json-patch+json' },
        body: JSON.stringify(ops),
      }),
    );
    expect(requests).toEqual([]);
    const status = expectStatus(result, 403, 'Forbidden');
    expect(status.message).toMatch(/JSON.patch/i);
    expect(result.body).not.toContain(ENV_VALUE);
    expect(result.body).not.toContain(CM_VALUE);
  });
});

describe('ordinary JSON patches still work', () => {
  it('kubectl patch --type=json replacing /data/token', async () => {
    const fresh = b64('a-new-token-value');
    const result = await runKubectl({
      kubeconfig,
      args: patch([{ op: 'replace', path: '/data/token', value: fresh }]),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('patched');
  });

  it('copy, move and test on fields that hold no values', async () => {
    const result = await runKubectl({
      kubeconfig,
      args: patch([
        { op: 'add', path: '/metadata/labels', value: { team: 'a' } },
        { op: 'copy', from: '/metadata/labels/team', path: '/metadata/labels/owner' },
        { op: 'move', from: '/metadata/labels/owner', path: '/metadata/labels/lead' },
        { op: 'test', path: '/metadata/name', value: 'demo-token' },
      ]),
    });
    expect(result.code, result.stderr).toBe(0);
  });

  it('copy of a ConfigMap key the masking policy does not cover', async () => {
    const result = await gatewayRequest(stack, {
      method: 'PATCH',
      path: '/clusters/sandbox/api/v1/namespaces/scratch/configmaps/oracle-cm',
      token,
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'copy', from: '/data/colour', path: '/data/color' }]),
    });
    expect(result.status, result.body).toBe(200);
  });
});

describe('a Status that echoes a request value', () => {
  it.each([
    [
      'an update of a Secret',
      'PUT',
      'application/json',
      (v: string) =>
        JSON.stringify({
          kind: 'Secret',
          apiVersion: 'v1',
          metadata: { name: 's' },
          data: { password: b64(v) },
        }),
    ],
    [
      'a stringData create',
      'POST',
      'application/json',
      (v: string) =>
        JSON.stringify({
          kind: 'Secret',
          apiVersion: 'v1',
          metadata: { name: 's' },
          stringData: { password: v },
        }),
    ],
    [
      'a merge patch',
      'PATCH',
      'application/merge-patch+json',
      (v: string) => JSON.stringify({ data: { password: b64(v) } }),
    ],
    [
      'a JSON patch',
      'PATCH',
      'application/json-patch+json',
      (v: string) => JSON.stringify([{ op: 'replace', path: '/data/password', value: b64(v) }]),
    ],
  ])('%s: the message is withheld, reason and code kept', async (_what, method, contentType, body) => {
    const value = `echo-${method}-${contentType.length}-v4lue`;
    const path =
      method === 'POST'
        ? '/clusters/standin/api/v1/namespaces/scratch/secrets'
        : '/clusters/standin/api/v1/namespaces/scratch/secrets/s';
    const result = await gatewayRequest(stack, {
      method,
      path,
      token: await stack.issuer.issueToken(AGENTS.agent.clientId),
      headers: { 'content-type': contentType },
      body: body(value),
    });
    const sent = echoed.at(-1) ?? '';
    expect(sent.includes(value) || sent.includes(b64(value))).toBe(true); // the stand-in echoes it
    expect(result.body).not.toContain(value);
    expect(result.body).not.toContain(b64(value));
    const status = expectStatus(result, 422, 'Invalid');
    expect(status.message).toMatch(/withheld/);
  });
});
