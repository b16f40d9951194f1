/**
 * Masking with the real kubectl, against the sandbox's seeded secrets: none of the commands an
 * agent would use to read a secret value shows it; each shows the marker instead. Plus the wire
 * cases kubectl cannot force: an Accept that asks for protobuf, and an upstream that answers a
 * Secret with a body the gateway cannot parse (fail closed: 502, no secret bytes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithKubectl, runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { listen, upstreamKubeconfig, upstreamTls } from './fake-upstreams.ts';
import { expectStatus, gatewayRequest } from './helpers.ts';
import { E2E_POLICY } from './policy.ts';

const MARKER = '**hoop-masked**';
const MARKER_BASE64 = Buffer.from(MARKER).toString('base64');
const SECRET_VALUES = [
  SEED_VALUES.ledgerDbPassword,
  SEED_VALUES.demoToken,
  SEED_VALUES.webDbPassword,
  SEED_VALUES.ledgerApiKey,
  SEED_VALUES.awsAccessKeyId,
  SEED_VALUES.awsSecretAccessKey,
];

/** No seeded value, raw or base64, appears in `text`. */
function expectNoSecret(text: string): void {
  for (const value of SECRET_VALUES) {
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
  }
}

/** An upstream that answers every request with a truncated Secret whose value is in plain sight. */
const BROKEN_SECRET = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"db"},"data":{"password":"${Buffer.from(SEED_VALUES.ledgerDbPassword).toString('base64')}"`;

let stack: Stack;
let kubeconfig: string;
let brokenServer: tls.Server;
let brokenDir: string;

beforeAll(async () => {
  const material = await upstreamTls();
  brokenServer = tls.createServer({ cert: material.certPem, key: material.keyPem }, (socket) => {
    socket.on('error', () => {});
    socket.once('data', () =>
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${BROKEN_SECRET.length}\r\nConnection: close\r\n\r\n${BROKEN_SECRET}`,
      ),
    );
  });
  const port = await listen(brokenServer);
  brokenDir = await mkdtemp(join(tmpdir(), 'e2e-broken-'));
  stack = await startStack({
    policy: E2E_POLICY,
    // Exec output is masked where the gateway terminates the exec stream: with recording on.
    config: { recording: {} },
    extraClusters: [
      {
        name: 'broken',
        kubeconfig: { path: await upstreamKubeconfig(brokenDir, 'broken', port, material.caPem) },
      },
    ],
  });
  kubeconfig = await stack.kubeconfigFor('agent-1');
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => brokenServer?.close(resolve));
  if (brokenDir) await rm(brokenDir, { recursive: true, force: true });
});

const kubectl = (args: string[]) => runKubectl({ kubeconfig, version: '1.33', args, timeoutMs: 30_000 });

describeWithKubectl('1.33', 'kubectl never shows a secret value', () => {
  it.each([
    ['get secret -o yaml', ['-n', 'payments', 'get', 'secret', 'db-credentials', '-o', 'yaml']],
    ['get secret -o json', ['-n', 'payments', 'get', 'secret', 'db-credentials', '-o', 'json']],
    ['get secrets -A -o yaml', ['get', 'secrets', '-A', '-o', 'yaml']],
    ['get pods -o yaml (env)', ['get', 'pods', '-A', '-o', 'yaml']],
    ['get deploy -o yaml (pod template env)', ['-n', 'default', 'get', 'deploy', 'web', '-o', 'yaml']],
    ['logs of a pod that prints a key', ['-n', 'default', 'logs', 'deploy/web']],
    ['exec -- env', ['-n', 'payments', 'exec', 'ledger-0', '--', 'env']],
  ])('%s', async (_what, args) => {
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
      kubeconfig,
      version: '1.33',
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
      stack.sandbox.store.create(
        'secrets',
        prepareCreate(resourceTypeNamed('secrets'), 'scratch', {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'watched', namespace: 'scratch' },
          data: { key: Buffer.from(value).toString('base64') },
        }),
      );
      await waitForOutput(child, /"watched"/);
      expect(output).not.toContain(value);
      expect(output).not.toContain(Buffer.from(value).toString('base64'));
      expectNoSecret(output);
      expect(output).toContain(MARKER_BASE64);
    } finally {
      child.kill();
    }
  });
});

describe('on the wire', () => {
  it('a client asking for protobuf gets masked JSON (the gateway asked upstream for JSON)', async () => {
    const token = await stack.issuer.issueToken('agent-1');
    const before = stack.sandbox.requests.length;
    const response = await gatewayRequest(stack, {
      path: '/clusters/sandbox/api/v1/namespaces/payments/secrets/db-credentials',
      token,
      headers: { accept: 'application/vnd.kubernetes.protobuf, application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expectNoSecret(response.body);
    expect(JSON.parse(response.body).data.password).toBe(MARKER_BASE64);
    const upstream = stack.sandbox.requests.slice(before).find((r) => r.path.endsWith('/db-credentials'));
    expect(upstream?.headers.accept).not.toMatch(/protobuf/);
  });

  it('a Secret body the gateway cannot parse becomes a 502 with no secret bytes', async () => {
    const token = await stack.issuer.issueToken('agent-1');
    const response = await gatewayRequest(stack, {
      path: '/clusters/broken/api/v1/namespaces/payments/secrets/db',
      token,
    });
    expectStatus(response, 502);
    expectNoSecret(response.body);
  });
});
