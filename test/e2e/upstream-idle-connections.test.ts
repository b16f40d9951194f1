/**
 * A kept-alive upstream connection that the server closes just as the gateway reuses it fails the
 * request with a reset: a 502, and for a write (a held DELETE, approved after a while) nothing can
 * be resent blindly. The failing CI run showed it as one 502 among 200 approved calls. The gateway
 * closes idle connections before the server does: 1 s before the server's announced
 * `Keep-Alive: timeout`, and after 30 s without one.
 *
 * The stand-in announces `timeout=2` and, like a server whose idle timer fires as the request
 * arrives, closes a connection that brings a request after more than 1.5 s of idleness, unanswered. A write
 * sent 2.2 s after the first call must reach it on a new connection and succeed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { listen, upstreamKubeconfig, upstreamTls } from './fake-upstreams.ts';
import { gatewayRequest } from './helpers.ts';

const ANNOUNCED_SECONDS = 2;
const RESET_AFTER_IDLE_MS = 1500;

let stack: Stack;
let token: string;
let kubeconfigDir: string;
let server: tls.Server;
const sockets = new Set<net.Socket>();
const seen = { connections: 0, answered: 0, reset: 0 };

/** One minimal keep-alive HTTP/1.1 server: every complete request gets a small JSON 200. */
function serveConnection(socket: tls.TLSSocket): void {
  seen.connections++;
  sockets.add(socket);
  socket.on('error', () => {});
  socket.once('close', () => sockets.delete(socket));
  let idleSince = Date.now();
  let buffered = '';
  socket.on('data', (chunk: Buffer) => {
    if (buffered === '' && Date.now() - idleSince > RESET_AFTER_IDLE_MS) {
      seen.reset++;
      socket.destroy();
      return;
    }
    buffered += chunk.toString('latin1');
    for (;;) {
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffered.slice(0, headEnd))?.[1] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      buffered = buffered.slice(headEnd + 4 + length);
      const body = '{"kind":"Status","apiVersion":"v1","status":"Success"}';
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${body.length}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${ANNOUNCED_SECONDS}\r\n\r\n${body}`,
      );
      seen.answered++;
      idleSince = Date.now();
    }
  });
}

beforeAll(async () => {
  kubeconfigDir = await mkdtemp(join(tmpdir(), 'e2e-idle-'));
  const material = await upstreamTls();
  server = tls.createServer({ cert: material.certPem, key: material.keyPem }, serveConnection);
  const port = await listen(server);
  stack = await startStack({
    policy: { default: 'allow', rules: [] },
    extraClusters: [
      {
        name: 'keepalive',
        kubeconfig: { path: await upstreamKubeconfig(kubeconfigDir, 'keepalive', port, material.caPem) },
      },
    ],
  });
  token = await stack.issuer.issueToken('agent-1');
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  server?.close();
  await stack?.close();
  await rm(kubeconfigDir, { recursive: true, force: true });
});

describe('idle upstream connections', () => {
  it('are closed before the server closes them, so a later write is not reset', async () => {
    const path = '/clusters/keepalive/api/v1/namespaces/default/configmaps/app';
    const first = await gatewayRequest(stack, { path, token });
    expect(first.status).toBe(200);
    // Reused at once: the same connection.
    expect((await gatewayRequest(stack, { path, token })).status).toBe(200);
    expect(seen.connections).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, ANNOUNCED_SECONDS * 1000 + 200));
    const body = '{"propagationPolicy":"Background"}';
    const write = await gatewayRequest(stack, {
      method: 'DELETE',
      path,
      token,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    });
    expect(write.status, write.body).toBe(200);
    expect(seen.reset).toBe(0);
    expect(seen.connections).toBe(2);
    expect(seen.answered).toBe(3);
  });
});
