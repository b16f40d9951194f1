/**
 * Clusters that fail: one whose upstream refuses connections (503), one that accepts and never
 * answers (504 after the cluster's `upstreamTimeout`, for a plain TCP listener that never
 * finishes the TLS handshake and for a TLS server that never sends a response), one that sends
 * bytes that are not HTTP (502), and one that dies in the middle of a response (the client's
 * response is cut, not ended cleanly). Ordinary requests and upgrade requests alike; every
 * answer is a Kubernetes Status, and the healthy cluster behind the same gateway is unaffected.
 * One more upstream is odd rather than failing: an informational 103 before its answer, and a
 * header repeated on two lines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { listen, upstreamKubeconfig, upstreamTls } from './fake-upstreams.ts';
import { eventually, expectStatus, gatewayRequest } from './helpers.ts';

let stack: Stack;
let token: string;
let kubeconfigDir: string;
const servers: net.Server[] = [];
/** Sockets the misbehaving upstreams accepted, by cluster (to check the gateway closes them). */
const accepted: Array<{ cluster: string; socket: net.Socket; closed: boolean }> = [];

function track(cluster: string, socket: net.Socket): void {
  const entry = { cluster, socket, closed: false };
  accepted.push(entry);
  socket.on('error', () => {});
  socket.once('close', () => {
    entry.closed = true;
  });
}

function serve(server: net.Server): Promise<number> {
  servers.push(server);
  return listen(server);
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  kubeconfigDir = await mkdtemp(join(tmpdir(), 'e2e-upstreams-'));
  const material = await upstreamTls();
  const tlsServer = (cluster: string, onSocket: (socket: tls.TLSSocket) => void) =>
    tls.createServer({ cert: material.certPem, key: material.keyPem }, (socket) => {
      track(cluster, socket);
      onSocket(socket);
    });

  // Accepts TCP and reads (so it sees the gateway hang up), never speaks TLS.
  const silentTcp = net.createServer((socket) => {
    track('silent-tcp', socket);
    socket.resume();
  });
  // Completes the TLS handshake, reads the request, never answers.
  const silentTls = tlsServer('silent-tls', (socket) => socket.resume());
  // Answers every request with bytes that are not HTTP.
  const garbage = tlsServer('garbage', (socket) =>
    socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')),
  );
  // Starts a chunked 200, sends one chunk, then resets the connection.
  const dies = tlsServer('dies', (socket) =>
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      // A watch event as kube-apiserver writes it: the object says its kind (the masker checks).
      socket.write('3a\r\n{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1"}}\r\n');
      setTimeout(() => socket.destroy(), 100);
    }),
  );

  // Sends an informational 103 first, then a 200 with a header repeated on two lines.
  const informational = tlsServer('informational', (socket) =>
    socket.once('data', () => {
      const body = '{"kind":"PodList","apiVersion":"v1","items":[]}';
      socket.end(
        'HTTP/1.1 103 Early Hints\r\nLink: </hint>\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nWarning: 299 - "first"\r\n' +
          `Warning: 299 - "second"\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    }),
  );

  const cluster = async (name: string, port: number, upstreamTimeout?: string) => ({
    name,
    kubeconfig: { path: await upstreamKubeconfig(kubeconfigDir, name, port, material.caPem) },
    ...(upstreamTimeout ? { upstreamTimeout } : {}),
  });

  stack = await startStack({
    policy: { default: 'allow', rules: [] },
    extraClusters: [
      await cluster('down', await closedPort()),
      await cluster('silent-tcp', await serve(silentTcp), '1s'),
      await cluster('silent-tls', await serve(silentTls), '1s'),
      await cluster('garbage', await serve(garbage)),
      await cluster('dies', await serve(dies)),
      await cluster('informational', await serve(informational)),
      // The healthy sandbox again, under a second name with its own connection pool.
      { name: 'sandbox-short', kubeconfig: { path: 'upstream.kubeconfig' }, upstreamTimeout: '1s' },
    ],
  });
  token = await stack.issuer.issueToken('agent-1');
});

afterAll(async () => {
  for (const { socket } of accepted) socket.destroy();
  for (const server of servers) server.close();
  await stack?.close();
  await rm(kubeconfigDir, { recursive: true, force: true });
});

const PODS = (cluster: string) => `/clusters/${cluster}/api/v1/namespaces/default/pods`;
const EXEC = (cluster: string) =>
  `/clusters/${cluster}/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true`;
const WEBSOCKET = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
  'sec-websocket-version': '13',
  'sec-websocket-protocol': 'v5.channel.k8s.io',
};

describe.each([
  ['an ordinary request', PODS, {}],
  ['an upgrade request (exec over WebSocket)', EXEC, WEBSOCKET],
])('%s', (_kind, path, headers) => {
  it('to a cluster whose upstream is down → 503 ServiceUnavailable', async () => {
    const response = await gatewayRequest(stack, { path: path('down'), token, headers });
    const status = expectStatus(response, 503, 'ServiceUnavailable');
    expect(status.message).toContain('cluster "down" is unreachable');
    // No Retry-After: client-go would retry ten times and kubectl would hang instead of failing.
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it.each(['silent-tcp', 'silent-tls'])(
    'to an upstream that never answers (%s) → 504 after upstreamTimeout',
    async (name) => {
      const started = Date.now();
      const status = expectStatus(
        await gatewayRequest(stack, { path: path(name), token, headers }),
        504,
        'Timeout',
      );
      expect(status.message).toContain(`cluster "${name}" did not answer in time`);
      // upstreamTimeout is 1s: the gateway gave up on its own, not after the 30s default.
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(10_000);
      // The gateway closed the connection it gave up on rather than leaving it to linger: within a
      // few seconds of the timeout, not after a connect timeout of its own (10 s).
      const mine = accepted.filter((a) => a.cluster === name);
      expect(mine.length).toBeGreaterThan(0);
      await eventually(
        () => mine.every((a) => a.closed),
        `the gateway to close its ${name} connections`,
        5_000,
      );
    },
  );

  it('to an upstream that sends garbage → 502', async () => {
    const status = expectStatus(await gatewayRequest(stack, { path: path('garbage'), token, headers }), 502);
    expect(status.message).toContain('cluster "garbage"');
  });
});

it('a request still sending its body when the upstream times out → 504 on the same connection', async () => {
  // A Lease create goes straight upstream (no stage reads it: a Lease holds no secret values).
  // The client sends the start of its body and waits: the body stream the gateway gives up on must not take the
  // client's connection with it, or the Status could not be written.
  const url = new URL(stack.gateway.url);
  const body = JSON.stringify({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'l' },
  });
  const response = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/clusters/silent-tls/apis/coordination.k8s.io/v1/namespaces/default/leases',
          ca: stack.gateway.caPem,
          agent: false,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
            req.destroy(); // the rest of the body is never sent
          });
        },
      );
      req.on('error', (error) => reject(new Error(`no answer, the connection broke: ${error.message}`)));
      req.write(body.slice(0, 20)); // chunked: the gateway cannot know when it ends
    },
  );
  const status = expectStatus(response, 504, 'Timeout');
  expect(status.message).toContain('cluster "silent-tls" did not answer in time');
});

it('an informational answer is skipped and a repeated header reaches the client with both values', async () => {
  const response = await gatewayRequest(stack, { path: PODS('informational'), token });
  expect(response.status).toBe(200);
  expect(JSON.parse(response.body)).toEqual({ kind: 'PodList', apiVersion: 'v1', items: [] });
  expect(response.headers.warning).toBe('299 - "first", 299 - "second"');
  expect(response.headers.link).toBeUndefined();
});

it('the healthy cluster behind the same gateway still answers', async () => {
  const response = await gatewayRequest(stack, { path: PODS('sandbox'), token });
  expect(response.status).toBe(200);
  expect((JSON.parse(response.body) as { kind: string }).kind).toBe('PodList');
});

it('an upstream that dies mid-response cuts the client response instead of ending it cleanly', async () => {
  const outcome = await new Promise<{ body: string; how: string }>((resolve) => {
    const url = new URL(stack.gateway.url);
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${PODS('dies')}?watch=1`,
        ca: stack.gateway.caPem,
        agent: false,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ body, how: 'end' }));
        res.on('aborted', () => resolve({ body, how: 'aborted' }));
        res.on('error', () => resolve({ body, how: 'error' }));
      },
    );
    req.on('error', () => resolve({ body: '', how: 'request error' }));
    req.end();
  });
  // The first chunk was relayed as it came; then the stream broke, and the client can tell.
  expect(outcome.body).toBe('{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1"}}');
  expect(outcome.how).not.toBe('end');
});

it('a request that finds the upstream connection pool full of watches is still answered', async () => {
  // The gateway pools at most 256 connections per cluster; each open watch holds one. A request
  // queued behind them must still get an answer (504 within upstreamTimeout, or 200 if the pool
  // grows), never hang: Node emits nothing for a queued request that is destroyed.
  const clientAgent = new Agent({ keepAlive: true, maxSockets: 1000, ca: stack.gateway.caPem });
  const url = new URL(stack.gateway.url);
  const get = (path: string) =>
    new Promise<{ status: number; body: string; res: IncomingMessage }>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path,
          agent: clientAgent,
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 4096) body += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body, res }));
          res.on('error', () => {});
          if (path.includes('watch=1')) resolve({ status: res.statusCode ?? 0, body, res });
        },
      );
      req.on('error', reject);
      req.end();
    });
  try {
    const watches = await Promise.all(
      Array.from({ length: 256 }, () =>
        get('/clusters/sandbox-short/api/v1/namespaces/scratch/configmaps?watch=1'),
      ),
    );
    // Every watch is open (the statuses, not a bare boolean, so a failure says what came back).
    expect(watches.filter((w) => w.status !== 200).map((w) => `${w.status} ${w.body.slice(0, 200)}`)).toEqual(
      [],
    );

    const started = Date.now();
    const queued = await get(PODS('sandbox-short'));
    expect(Date.now() - started).toBeLessThan(8_000);
    if (queued.status !== 200)
      expectStatus({ status: queued.status, headers: queued.res.headers, body: queued.body }, 504);

    for (const watch of watches) watch.res.destroy();
    // Once the watches are gone their connections serve requests again.
    let after = await get(PODS('sandbox-short'));
    for (let i = 0; i < 5 && after.status !== 200; i++) after = await get(PODS('sandbox-short'));
    expect(after.status).toBe(200);
  } finally {
    clientAgent.destroy();
  }
});
