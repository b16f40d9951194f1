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
import { describeWithKubectl } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { listen, upstreamKubeconfig, upstreamTls } from './fake-upstreams.ts';
import { expectStatus, gatewayRequest } from './helpers.ts';
import { expectNoSecret, kubectlMaskingTests, MARKER_BASE64 } from './masking-suite.ts';
import { E2E_POLICY } from './policy.ts';

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

describeWithKubectl('1.33', 'kubectl never shows a secret value', () => {
  kubectlMaskingTests(() => ({
    kubeconfig,
    version: '1.33',
    hasKubelet: true,
    createSecret: async (namespace, name, data) => {
      stack.sandbox.store.create(
        'secrets',
        prepareCreate(resourceTypeNamed('secrets'), namespace, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, namespace },
          data,
        }),
      );
    },
  }));
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
