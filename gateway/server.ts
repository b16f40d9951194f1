import { randomUUID } from 'node:crypto';
import { type IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionSettings, DEFAULT_CONNECTIONS } from '../src/config/connections.ts';
import { kubeStatus, type StatusReason } from '../src/errors.ts';
import { answerHealth, createHealth, type Health } from '../src/ops/health.ts';
import { buildChain } from './chain.ts';
import { limitConnections } from './connection-limits.ts';
import type { RequestContext } from './request-context.ts';
import type { GatewayRuntime } from './runtime.ts';

export interface TlsMaterial {
  certPem: string;
  keyPem: string;
}

const AUDIT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The request id: the client's own `Audit-Id` when it sent a well-formed one (kube-apiserver takes
 * it the same way, so a client can follow its call through the gateway's log and the cluster's
 * audit log), else a fresh UUID. It is sent upstream as `Audit-Id` and returned to the client.
 */
function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['audit-id'];
  return typeof sent === 'string' && AUDIT_ID.test(sent) ? sent : randomUUID();
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
    health?: Health;
    connections?: ConnectionSettings;
    /** The approvals API for people (approvals-api/router.ts): answers everything under /hoop/. */
    api?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Server {
  const chain = buildChain(runtime);
  const health = options.health ?? createHealth();
  const limits = options.connections ?? DEFAULT_CONNECTIONS;
  // The header and request timeouts end once a request has arrived, so watches and `logs -f`
  // (long responses) and exec/attach/port-forward (upgraded, no longer HTTP) are never cut by
  // them; the idle timeout applies only between requests. Node checks the first two every
  // `connectionsCheckingInterval`, so that is kept well under them.
  const server = createServer({
    cert: tls.certPem,
    key: tls.keyPem,
    handshakeTimeout: limits.headerTimeoutMs,
    headersTimeout: limits.headerTimeoutMs,
    // Node requires requestTimeout ≥ headersTimeout.
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headerTimeoutMs),
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(
      1000,
      Math.max(100, Math.floor(Math.min(limits.headerTimeoutMs, limits.requestTimeoutMs) / 4)),
    ),
  });
  limitConnections(server, limits, runtime.logger);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (answerHealth(req, res, health)) return;
    // Before the agent pipeline: people's API never runs an agent stage, and vice versa.
    if (options.api?.(req, res)) return;
    const id = requestIdOf(req);
    res.setHeader('x-request-id', id);
    res.setHeader('audit-id', id);
    const ctx: RequestContext = { req, res, startedAt: process.hrtime.bigint(), id };
    void chain.request(ctx);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    const id = requestIdOf(req);
    res.setHeader('x-request-id', id);
    res.setHeader('audit-id', id);
    const ctx: RequestContext = {
      req,
      res,
      upgrade: { socket, head },
      startedAt: process.hrtime.bigint(),
      id,
    };
    void chain.upgrade(ctx);
  });

  // Also emitted for TLS failures (a handshake that timed out, a bad ClientHello): nothing can be
  // written to a socket without a handshake (it would wait for one forever), so only HTTP-level
  // errors get an answer and everything else is closed at once.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const http = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code?.startsWith('HPE_');
    if (!http || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error));
  });
  return server;
}

/**
 * The answer to a request Node could not parse or that took too long to arrive: a Status, so a
 * client (or an agent reading its output) learns what happened, then the connection closes.
 */
function clientErrorResponse(error: NodeJS.ErrnoException): string {
  const [code, reason, text, message]: [number, StatusReason, string, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [
          408,
          'Timeout',
          'Request Timeout',
          'the request (headers and body) did not arrive within the time the gateway allows ' +
            '(connections.headerTimeout / requestTimeout); send it again without pausing mid-request',
        ]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'BadRequest', 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'BadRequest', 'Bad Request', 'the request is not valid HTTP/1.1 and was not read'];
  const body = JSON.stringify(kubeStatus(code, reason, message));
  return (
    `HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
