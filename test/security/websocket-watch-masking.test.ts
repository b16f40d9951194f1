/**
 * Masking must not be bypassed by asking for a watch (or logs) over WebSocket.
 *
 * kube-apiserver serves watch over WebSocket too (GET …?watch=true with Upgrade: websocket and an
 * Origin header; kubectl never does this, browsers and some libraries do). The gateway masks watch
 * events on the plain HTTP stream, but relayed every upgrade other than exec/attach/portforward
 * byte for byte, so a WebSocket watch of Secrets showed their values. The sandbox refused such
 * upgrades itself, which hid the hole; this test runs against a real kube-apiserver. The gateway
 * now terminates such a WebSocket and masks every message (upstream/masked-upgrade.ts), or refuses
 * the upgrade where it cannot read the stream: either way no value arrives.
 */
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { E2E_POLICY } from '../e2e/policy.ts';
import {
  BUILD_TIMEOUT_MS,
  describeWithKubeApiserver,
  type KubeApiserver,
  seedLikeSandbox,
  startKubeApiserver,
} from '../support/kube-apiserver.ts';
import { type KubeApiserverStack, startKubeApiserverStack } from '../support/stack.ts';

const READ_SECRETS = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agents-read-secrets
rules:
  - apiGroups: [""]
    resources: [secrets, pods, pods/log]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: agents-read-secrets
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: agents-read-secrets
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: ai-agents
`;

/** Opens a WebSocket through the gateway; resolves with the first message or the HTTP refusal. */
function firstAnswer(url: string, caPem: string, token: string, protocols: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols, {
      ca: caPem,
      origin: 'https://127.0.0.1',
      headers: { authorization: `Bearer ${token}` },
    });
    const timer = setTimeout(() => {
      socket.terminate();
      resolve('timeout');
    }, 10_000);
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve(`HTTP ${res.statusCode} ${body}`);
      });
    });
    socket.on('message', (message: Buffer) => {
      clearTimeout(timer);
      resolve(`message ${message.toString()}`);
      socket.terminate();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      resolve(`error ${error.message}`);
    });
  });
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describeWithKubeApiserver('a watch over WebSocket cannot read unmasked secrets', () => {
  let apiserver: KubeApiserver;
  let stack: KubeApiserverStack;

  beforeAll(async () => {
    apiserver = await startKubeApiserver();
    await seedLikeSandbox(apiserver);
    await apiserver.applyAsAdmin(READ_SECRETS);
    stack = await startKubeApiserverStack({ apiserver, policy: E2E_POLICY });
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.close();
    await apiserver?.close();
  });

  it.each([
    ['watch, no subprotocol', '/api/v1/namespaces/payments/secrets?watch=true', []],
    ['watch, base64 subprotocol', '/api/v1/namespaces/payments/secrets?watch=true', ['base64.binary.k8s.io']],
    ['legacy /watch path', '/api/v1/watch/namespaces/payments/secrets', []],
    ['one secret', '/api/v1/namespaces/payments/secrets/db-credentials?watch=true', []],
    ['pod env over watch', '/api/v1/namespaces/payments/pods?watch=true', []],
  ])('%s', async (_what, path, protocols) => {
    const token = await stack.issuer.issueToken('agent-1');
    const answer = await firstAnswer(
      `${stack.clusterUrl().replace('https', 'wss')}${path}`,
      stack.gateway.caPem ?? '',
      token,
      protocols,
    );
    for (const value of [SEED_VALUES.ledgerDbPassword, SEED_VALUES.ledgerApiKey]) {
      expect(answer).not.toContain(value);
      expect(answer).not.toContain(b64(value));
      expect(answer).not.toContain(b64(b64(value)));
    }
    // The answer arrived masked (the marker in place of each value), or the upgrade was refused.
    expect(answer).toMatch(/\*\*hoop-masked\*\*|Kipob29wLW1hc2tlZCoq|^HTTP 400 /);
  });
});
