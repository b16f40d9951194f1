/**
 * Slow and idle clients, and too many connections. Each hostile client holds a connection (a file
 * descriptor, TLS state, a parser) without ever finishing a request; the gateway must close it
 * after the configured timeout, and refuse connections beyond the per-source cap. Long-running
 * calls are not idle: a watch and an exec session that stay quiet for longer than every timeout
 * here keep streaming.
 *
 * The gateway runs with timeouts of about a second so the file is quick; the defaults are longer
 * (README, "Connections").
 */
import { once } from 'node:events';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { expectStatus, gatewayRequest, openStream, sleep } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { type Stack, startStack } from '../support/stack.ts';

const HEADER_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const PER_SOURCE = 6;
/** A timeout is enforced within this much of its deadline. */
const SLACK_MS = 1500;

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    policy: E2E_POLICY,
    config: {
      connections: {
        headerTimeout: `${HEADER_TIMEOUT_MS}ms`,
        requestTimeout: `${REQUEST_TIMEOUT_MS}ms`,
        idleTimeout: `${IDLE_TIMEOUT_MS}ms`,
        maxConnectionsPerSource: PER_SOURCE,
      },
    },
  });
  token = await stack.issuer.issueToken('agent-1');
});
afterAll(async () => {
  await stack?.close();
});

interface RawConnection {
  socket: tls.TLSSocket;
  /** Everything the gateway sent. */
  received(): string;
  /** Resolves with the milliseconds from `since` until the gateway closed the connection. */
  closedAfter(since: number): Promise<number>;
}

/** A TLS connection to the gateway, with nothing sent yet. */
async function connect(): Promise<RawConnection> {
  const url = new URL(stack.gateway.url);
  const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: stack.gateway.caPem });
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => Date.now());
  await once(socket, 'secureConnect');
  return {
    socket,
    received: () => text,
    closedAfter: async (since) => (await closed) - since,
  };
}

function isOpen(connection: RawConnection): boolean {
  return !connection.socket.destroyed && connection.socket.readyState === 'open';
}

const HEAD = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer ${token}\r\nConnection: keep-alive\r\n\r\n`;

describe('slow and idle clients are disconnected', () => {
  it('headers sent byte by byte, slower than the header timeout → closed before they are complete', async () => {
    const connection = await connect();
    const head = HEAD('/clusters/sandbox/api/v1/namespaces/payments/pods');
    const started = Date.now();
    let sent = 0;
    // One byte every 100 ms: the whole head would take far longer than the header timeout.
    while (isOpen(connection) && sent < head.length && Date.now() - started < HEADER_TIMEOUT_MS + 5000) {
      connection.socket.write(head[sent] ?? '');
      sent++;
      await sleep(100);
    }
    expect(sent).toBeLessThan(head.length);
    expect(await connection.closedAfter(started)).toBeLessThan(HEADER_TIMEOUT_MS + SLACK_MS);
    // Told why, as a Status, when the socket could still be written.
    if (connection.received()) expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a TLS connection that never sends a byte is closed after the header timeout', async () => {
    const connection = await connect();
    const started = Date.now();
    expect(await connection.closedAfter(started)).toBeLessThan(HEADER_TIMEOUT_MS + SLACK_MS);
  });

  it('a TCP connection that never starts TLS is closed after the header timeout', async () => {
    const url = new URL(stack.gateway.url);
    const { connect: tcp } = await import('node:net');
    const socket = tcp({ host: url.hostname, port: Number(url.port) });
    socket.on('error', () => undefined);
    await once(socket, 'connect');
    const started = Date.now();
    await once(socket, 'close');
    expect(Date.now() - started).toBeLessThan(HEADER_TIMEOUT_MS + SLACK_MS);
  });

  it('a body sent slower than the request timeout → closed', async () => {
    const connection = await connect();
    const started = Date.now();
    connection.socket.write(
      'POST /clusters/sandbox/api/v1/namespaces/scratch/configmaps HTTP/1.1\r\nHost: gateway\r\n' +
        `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
    );
    while (isOpen(connection) && Date.now() - started < REQUEST_TIMEOUT_MS + 5000) {
      connection.socket.write(' ');
      await sleep(100);
    }
    expect(await connection.closedAfter(started)).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('an idle keep-alive connection is closed after the idle timeout', async () => {
    const connection = await connect();
    connection.socket.write(HEAD('/clusters/sandbox/api/v1/namespaces/payments/pods'));
    while (!/\r\n0\r\n\r\n$|"kind":"PodList"/.test(connection.received())) await sleep(20);
    const answered = Date.now();
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
    const idle = await connection.closedAfter(answered);
    expect(idle).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS - 100);
    expect(idle).toBeLessThan(IDLE_TIMEOUT_MS + SLACK_MS);
  });
});

describe('connection caps', () => {
  it(`connections beyond ${PER_SOURCE} from one address are refused; freed slots are usable again`, async () => {
    const held = await Promise.all(Array.from({ length: PER_SOURCE }, () => connect()));
    try {
      // Keep them busy (partial headers) but within the header timeout.
      for (const connection of held) connection.socket.write('GET /healthz HTTP/1.1\r\n');
      const url = new URL(stack.gateway.url);
      const extra = tls.connect({ host: url.hostname, port: Number(url.port), ca: stack.gateway.caPem });
      const outcome = await new Promise<string>((resolve) => {
        extra.once('secureConnect', () => resolve('connected'));
        extra.once('error', () => resolve('closed'));
        extra.once('close', () => resolve('closed'));
      });
      extra.destroy();
      expect(outcome).toBe('closed');
      expect(held.every(isOpen)).toBe(true);
    } finally {
      for (const connection of held) connection.socket.destroy();
    }
    await sleep(100);
    const response = await gatewayRequest(stack, { path: '/healthz' });
    expect(response.status).toBe(200);
  });

  it('an authenticated request still works under the cap (control)', async () => {
    const response = await gatewayRequest(stack, {
      path: '/clusters/sandbox/api/v1/namespaces/payments/pods',
      token,
    });
    expect(response.status, response.body).toBe(200);
  });
});

describe('long-running calls are not idle', () => {
  it('a quiet watch outlives every timeout and keeps streaming', async () => {
    const stream = await openStream(stack, {
      path: '/clusters/sandbox/api/v1/namespaces/scratch/configmaps?watch=1',
      token,
    });
    expect(stream.res.statusCode).toBe(200);
    await sleep(Math.max(HEADER_TIMEOUT_MS, IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS) + SLACK_MS + 500);
    expect(stream.ended()).toBe(false);
    await gatewayRequest(stack, {
      method: 'POST',
      path: '/clusters/sandbox/api/v1/namespaces/scratch/configmaps',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-arrival' } }),
    });
    await stream.waitForLine(/"late-arrival"/);
    stream.req.destroy();
  });

  it('a quiet exec session outlives every timeout and still relays', async () => {
    const url = `${stack.clusterUrl().replace(/^https/, 'wss')}/api/v1/namespaces/payments/pods/ledger-0/exec?command=cat&stdin=true&stdout=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
      ca: stack.gateway.caPem,
      headers: { Authorization: `Bearer ${token}` },
    });
    const output: Buffer[] = [];
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1) output.push(data.subarray(1));
    });
    const closed = once(ws, 'close');
    await once(ws, 'open');
    await sleep(Math.max(HEADER_TIMEOUT_MS, IDLE_TIMEOUT_MS, REQUEST_TIMEOUT_MS) + SLACK_MS + 500);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.send(Buffer.from([0, ...Buffer.from('still here\n')]));
    ws.send(Buffer.from([255, 0]));
    await closed;
    expect(Buffer.concat(output).toString()).toBe('still here\n');
  });

  it('a bad request line still gets a Status, not a bare close (control)', async () => {
    const response = await gatewayRequest(stack, {
      path: '/clusters/sandbox/api/v1/namespaces//pods',
      token,
    });
    expectStatus(response, 400);
  });
});
