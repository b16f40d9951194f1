/**
 * Issue 10, class 2: upgrade requests must not bypass masking.
 *
 * kube-apiserver serves watches (and `pods/log`) over WebSocket: one watch event per message, text
 * or binary, and log chunks as messages. It also answers an upgrade request it does not upgrade
 * (a get, a list) with an ordinary response. Through the gateway, every one of those answers must
 * reach the client masked exactly as the plain HTTP answer would — or not at all.
 *
 * Two upstreams: a stand-in kube-apiserver (test/e2e/fake-upstreams.ts) for WebSocket logs, binary
 * watch messages and hostile answers, and the sandbox, which serves WebSocket watches like
 * kube-apiserver, driven end to end. Legitimate streams (exec, attach, port-forward) keep working.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type KubeWebSocketUpstream,
  STAND_IN_VALUES,
  startKubeWebSocketUpstream,
  upstreamKubeconfig,
  upstreamTls,
} from '../e2e/fake-upstreams.ts';
import { expectStatus, gatewayRequest } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';

const MARKER = '**hoop-masked**';
const MARKER_BASE64 = Buffer.from(MARKER).toString('base64');

/** Every value either upstream holds that the default masking rules hide. */
const SECRET_VALUES = [
  ...Object.values(STAND_IN_VALUES),
  SEED_VALUES.ledgerDbPassword,
  SEED_VALUES.demoToken,
  SEED_VALUES.ledgerApiKey,
  SEED_VALUES.webDbPassword,
];

/** No secret value, raw or base64, in `text`. */
function expectNoSecret(text: string, extra: string[] = []): void {
  for (const value of [...SECRET_VALUES, ...extra]) {
    expect(text).not.toContain(value);
    expect(text).not.toContain(Buffer.from(value).toString('base64'));
  }
}

let stack: Stack;
let standIn: KubeWebSocketUpstream;
let standInDir: string;
let token: string;

beforeAll(async () => {
  const material = await upstreamTls();
  standIn = await startKubeWebSocketUpstream(material);
  standInDir = await mkdtemp(join(tmpdir(), 'sec-upgrade-'));
  stack = await startStack({
    policy: E2E_POLICY,
    extraClusters: [
      {
        name: 'kube',
        kubeconfig: { path: await upstreamKubeconfig(standInDir, 'kube', standIn.port, material.caPem) },
      },
    ],
  });
  token = await stack.issuer.issueToken('agent-1');
});
afterAll(async () => {
  await stack?.close();
  await standIn?.close();
  if (standInDir) await rm(standInDir, { recursive: true, force: true });
});

interface Received {
  messages: Array<{ data: Buffer; binary: boolean }>;
  /** The close code, when the connection closed before `count` messages arrived. */
  closeCode?: number;
  /** The HTTP status, when the gateway answered without upgrading. */
  status?: number;
  body?: string;
  protocol?: string;
}

/**
 * Opens a WebSocket through the gateway and collects messages until `count` arrived, the
 * connection closed, or `timeoutMs` passed; then closes it.
 */
function websocket(
  path: string,
  options: { protocols?: string[]; count: number; timeoutMs?: number; onOpen?: () => void },
): Promise<Received> {
  const url = `${stack.gateway.url.replace('https:', 'wss:')}${path}`;
  const ws = new WebSocket(url, options.protocols ?? [], {
    ca: stack.gateway.caPem,
    headers: { authorization: `Bearer ${token}` },
  });
  const received: Received = { messages: [] };
  return new Promise((resolve) => {
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (ws.readyState === WebSocket.OPEN) ws.close();
      resolve(received);
    };
    const timer = setTimeout(done, options.timeoutMs ?? 3000);
    ws.on('open', () => {
      received.protocol = ws.protocol;
      options.onOpen?.();
    });
    ws.on('message', (data: Buffer, binary: boolean) => {
      if (finished) return;
      received.messages.push({ data, binary });
      if (received.messages.length >= options.count) done();
    });
    ws.on('close', (code: number) => {
      received.closeCode = code;
      done();
    });
    ws.on('unexpected-response', (_req, res) => {
      received.status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        received.body = Buffer.concat(chunks).toString();
        done();
      });
    });
    ws.on('error', () => done());
  });
}

const text = (r: Received): string => r.messages.map((m) => m.data.toString()).join('');

const WEBSOCKET_HEADERS = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
  'sec-websocket-version': '13',
};

describe('WebSocket watches are masked message by message (stand-in kube-apiserver)', () => {
  it('Secret events in a text and a binary message: both masked, framing kept', async () => {
    const r = await websocket('/clusters/kube/api/v1/namespaces/ws/secrets?watch=1', { count: 2 });
    expect(r.messages.length, JSON.stringify(r)).toBe(2);
    expectNoSecret(text(r));
    const [first, second] = r.messages.map((m) => JSON.parse(m.data.toString()));
    expect(first).toMatchObject({ type: 'ADDED', object: { data: { password: MARKER_BASE64 } } });
    expect(first.object.stringData.token).toBe(MARKER);
    expect(second).toMatchObject({ type: 'MODIFIED', object: { data: { password: MARKER_BASE64 } } });
    expect(r.messages.map((m) => m.binary)).toEqual([false, true]);
  });

  it('a Pod event: literal env values masked', async () => {
    const r = await websocket('/clusters/kube/api/v1/namespaces/ws/pods?watch=1', { count: 1 });
    expect(r.messages.length, JSON.stringify(r)).toBe(1);
    expectNoSecret(text(r));
    expect(text(r)).toContain(MARKER);
  });

  it('asks upstream for JSON even when the client asks for protobuf', async () => {
    const before = standIn.requests.length;
    const url = `${stack.gateway.url.replace('https:', 'wss:')}/clusters/kube/api/v1/namespaces/ws/secrets?watch=1`;
    const ws = new WebSocket(url, {
      ca: stack.gateway.caPem,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/vnd.kubernetes.protobuf;stream=watch',
      },
    });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data: Buffer) => resolve(data.toString()));
      ws.once('error', reject);
    });
    ws.close();
    expectNoSecret(first);
    const sent = standIn.requests.slice(before).find((r) => r.url.includes('secrets?watch=1'));
    expect(sent?.accept).not.toMatch(/protobuf/);
  });

  it('a message that is not JSON is withheld and the stream closed (fail closed)', async () => {
    const r = await websocket('/clusters/kube/api/v1/namespaces/garbage/secrets?watch=1', { count: 2 });
    expectNoSecret(text(r));
    expect(r.messages).toEqual([]);
    expect(r.closeCode).toBe(1011);
  });
});

describe('WebSocket logs are masked line by line (stand-in kube-apiserver)', () => {
  it.each([
    ['binary messages (no subprotocol)', [], false],
    ['binary messages (binary.k8s.io)', ['binary.k8s.io'], false],
    ['base64 text messages (base64.binary.k8s.io)', ['base64.binary.k8s.io'], true],
  ])('%s, a password cut across messages', async (_what, protocols, base64) => {
    const r = await websocket('/clusters/kube/api/v1/namespaces/ws/pods/app-0/log', {
      protocols,
      count: 100,
      timeoutMs: 1500,
    });
    expect(r.protocol).toBe(protocols[0] ?? '');
    const log = r.messages
      .map((m) => (base64 ? Buffer.from(m.data.toString(), 'base64') : m.data).toString())
      .join('');
    expect(r.messages.every((m) => m.binary === !base64)).toBe(true);
    expect(log).toBe(`app: starting\napp: connecting with db_password=${MARKER} to postgres\napp: ready\n`);
    expectNoSecret(log);
  });
});

describe('an upgrade request the cluster answers without upgrading is masked like any response', () => {
  it.each([
    ['a Secret', '/clusters/kube/api/v1/namespaces/http/secrets/db'],
    ['a SecretList', '/clusters/kube/api/v1/namespaces/http/secrets'],
    ['a watch stream', '/clusters/kube/api/v1/namespaces/http/secrets?watch=1'],
    ['a Pod', '/clusters/kube/api/v1/namespaces/http/pods/app-0'],
  ])('%s', async (_what, path) => {
    const response = await gatewayRequest(stack, { path, token, headers: WEBSOCKET_HEADERS });
    expect(response.status, response.body).toBe(200);
    expectNoSecret(response.body);
    expect(response.body.includes(MARKER) || response.body.includes(MARKER_BASE64)).toBe(true);
  });
});

describe('upgrades the gateway cannot mask are refused before anything is relayed', () => {
  it.each([
    ['SPDY/3.1 on a Secret watch', '/clusters/kube/api/v1/namespaces/raw101/secrets?watch=1', 'SPDY/3.1'],
    ['h2c on a Secret', '/clusters/kube/api/v1/namespaces/raw101/secrets/db', 'h2c'],
    ['an unknown protocol on a Pod', '/clusters/kube/api/v1/namespaces/raw101/pods/app-0', 'x-raw'],
  ])(
    '%s',
    async (_what, path, upgrade) => {
      const before = standIn.requests.length;
      const response = await gatewayRequest(stack, {
        path,
        token,
        headers: { connection: 'Upgrade', upgrade },
      });
      expectNoSecret(response.body);
      const status = expectStatus(response, 400, 'BadRequest');
      expect(status.message).toMatch(/mask/);
      expect(standIn.requests.slice(before)).toEqual([]);
    },
    10_000,
  );
});

describe('the sandbox serves WebSocket watches as kube-apiserver does: masked end to end', () => {
  it('get secrets -w over WebSocket: listed and live Secrets are masked', async () => {
    const value = `live-ws-${Date.now()}`;
    const r = await websocket('/clusters/sandbox/api/v1/namespaces/scratch/secrets?watch=1', {
      count: 2,
      timeoutMs: 5000,
      onOpen: () =>
        setTimeout(() => {
          stack.sandbox.store.create(
            'secrets',
            prepareCreate(resourceTypeNamed('secrets'), 'scratch', {
              apiVersion: 'v1',
              kind: 'Secret',
              metadata: { name: `ws-${Date.now()}`, namespace: 'scratch' },
              data: { key: Buffer.from(value).toString('base64') },
            }),
          );
        }, 100),
    });
    expect(r.messages.length, JSON.stringify(r)).toBe(2);
    expectNoSecret(text(r), [value]);
    expect(text(r)).toContain(MARKER_BASE64);
  });

  it('pods -w over WebSocket across namespaces: literal env values masked', async () => {
    const r = await websocket('/clusters/sandbox/api/v1/pods?watch=1', { count: 1000, timeoutMs: 1500 });
    // ledger-0 (API_KEY) and the web pods (DB_PASSWORD) are among them.
    expect(r.messages.length).toBeGreaterThanOrEqual(3);
    expectNoSecret(text(r));
    expect(text(r)).toContain(MARKER);
  });

  it('a watch of an unmasked kind still streams (ConfigMaps no rule names)', async () => {
    const r = await websocket('/clusters/sandbox/api/v1/namespaces/scratch/configmaps?watch=1', {
      count: 1,
    });
    expect(JSON.parse(r.messages[0]?.data.toString() ?? '{}')).toMatchObject({ type: 'ADDED' });
  });
});

describe('legitimate streams still work', () => {
  let kubeconfig: string;
  beforeAll(async () => {
    kubeconfig = await stack.kubeconfigFor('agent-1');
  });
  const kubectl = (args: string[], stdin?: string) =>
    runKubectl({ kubeconfig, version: '1.33', args, timeoutMs: 30_000, ...(stdin ? { stdin } : {}) });

  it('exec', async () => {
    const run = await kubectl(['exec', '-n', 'payments', 'ledger-0', '--', 'echo', 'hello']);
    expect(run).toMatchObject({ code: 0, stdout: 'hello\n' });
  });

  it('attach -i', async () => {
    const run = await kubectl(['attach', '-i', '-n', 'payments', 'ledger-0'], 'ping\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ping\n$/);
  });

  it('port-forward', async () => {
    const pod = stack.sandbox.store
      .list('pods', 'default')
      .map((p) => (p['metadata'] as { name: string }).name)
      .find((n) => n.startsWith('web-'));
    const child = spawnKubectl({
      kubeconfig,
      version: '1.33',
      args: ['port-forward', '-n', 'default', `pod/${pod}`, ':8080'],
    });
    try {
      const printed = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
      const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(printed)?.[1]);
      const { connect } = await import('node:net');
      const echoed = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write('ping via gateway'));
        socket.once('data', (data) => {
          resolve(data.toString());
          socket.destroy();
        });
        socket.once('error', reject);
      });
      expect(echoed).toBe('ping via gateway');
    } finally {
      child.kill();
    }
  });
});
