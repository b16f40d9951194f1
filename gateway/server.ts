import { type IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { buildChain } from './chain.ts';
import type { RequestContext } from './request-context.ts';
import type { GatewayRuntime } from './runtime.ts';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

/** The gateway's own health endpoints; they answer without authentication and touch no cluster. */
function answerHealth(req: IncomingMessage, res: ServerResponse, ready: () => boolean): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/healthz' && path !== '/readyz' && path !== '/livez') return false;
  const ok = path !== '/readyz' || ready();
  res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
  res.end(ok ? 'ok' : 'not ready');
  return true;
}

/**
 * The HTTPS server: health endpoints, the approvals API for people under `/hoop/`, then the
 * agent request pipeline (`/clusters/…`) for everything else. Upgrade
 * requests get a ServerResponse bound to their socket, so the same stages can answer them with a
 * normal Status (kubectl then sees the real error) before the terminal stage joins the sockets.
 */
export function createGatewayServer(
  runtime: GatewayRuntime,
  tls: TlsMaterial,
  options: {
    ready?: () => boolean;
    /** The approvals API for people (approvals-api/router.ts): answers everything under /hoop/. */
    api?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Server {
  const chain = buildChain(runtime);
  const ready = options.ready ?? (() => true);
  const server = createServer({ cert: tls.certPem, key: tls.keyPem });
  // Watches and log follows may be quiet for long; kube-apiserver does not time them out either.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (answerHealth(req, res, ready)) return;
    // Before the agent pipeline: people's API never runs an agent stage, and vice versa.
    if (options.api?.(req, res)) return;
    const ctx: RequestContext = { req, res, startedAt: process.hrtime.bigint() };
    void chain.request(ctx);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    const ctx: RequestContext = { req, res, upgrade: { socket, head }, startedAt: process.hrtime.bigint() };
    void chain.upgrade(ctx);
  });

  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return server;
}
