import { randomUUID } from 'node:crypto';
import { Server as HttpServer, type IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionSettings, DEFAULT_CONNECTIONS } from '../src/config/connections.ts';
import { kubeStatus, type StatusReason } from '../src/errors.ts';
import { answerHealth, createHealth, type Health } from '../src/ops/health.ts';
import { buildChain } from './chain.ts';
import { limitConnections } from './connection-limits.ts';
import { HTTP2_MAX_STREAMS, limitHttp2Sessions } from './http2-sessions.ts';
import { errorText } from './ops/request-fields.ts';
import { type AgentRequest, type AgentResponse, isHttp2, type RequestContext } from './request-context.ts';
import { writeStatus } from './respond/status.ts';
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
function requestIdOf(req: AgentRequest): string {
  const sent = req.headers['audit-id'];
  return typeof sent === 'string' && AUDIT_ID.test(sent) ? sent : randomUUID();
}

/** The gateway's listener, and how a shutdown ends the connections it still has. */
export interface GatewayServer {
  server: Http2SecureServer;
  /** Ends every connection at once, HTTP/1.1 and HTTP/2 (the end of a shutdown's grace period). */
  closeAllConnections(): void;
}

/**
 * The HTTPS server: health endpoints, the approvals API for people under `/hoop/`, then the
 * agent request pipeline (`/clusters/…`) for everything else.
 *
 * It speaks HTTP/2 and HTTP/1.1, as kube-apiserver does (ALPN picks; `connections.http2: false`
 * offers HTTP/1.1 only). kubectl and client-go take HTTP/2 and carry all of a process's requests,
 * watches included, on one connection; exec, attach and port-forward upgrade, which only HTTP/1.1
 * has, and clients open those over HTTP/1.1.
 * Upgrade requests get a ServerResponse bound to their socket, so the same stages can answer them
 * with a normal Status (kubectl then sees the real error) before the terminal stage joins the
 * sockets.
 */
export function createGatewayServer(
  runtime: GatewayRuntime,
  tls: TlsMaterial,
  options: {
    health?: Health;
    connections?: ConnectionSettings;
    /** The approvals API for people (approvals-api/router.ts): answers everything under /hoop/. */
    api?: (req: AgentRequest, res: AgentResponse) => boolean;
  } = {},
): GatewayServer {
  const chain = buildChain(runtime);
  const health = options.health ?? createHealth();
  const limits = options.connections ?? DEFAULT_CONNECTIONS;
  // The header and request timeouts end once a request has arrived, so watches and `logs -f`
  // (long responses) and exec/attach/port-forward (upgraded, no longer HTTP) are never cut by
  // them; the idle timeout applies only between requests. Node checks the first two every
  // `connectionsCheckingInterval`, so that is kept well under them.
  const server = createSecureServer({
    allowHTTP1: true,
    settings: { maxConcurrentStreams: HTTP2_MAX_STREAMS },
    cert: tls.certPem,
    key: tls.keyPem,
    handshakeTimeout: limits.headerTimeoutMs,
    ...(limits.http2 ? {} : { ALPNCallback: http1Only }),
  });
  // HTTP/1.1's timeouts, which Node applies to the HTTP/1.1 connections of an HTTP/2 server that
  // allows them (set before listen: connection tracking starts then; its types omit them).
  const http1 = server as Http2SecureServer & Http1Timeouts;
  http1.headersTimeout = limits.headerTimeoutMs;
  // Node requires requestTimeout ≥ headersTimeout.
  http1.requestTimeout = Math.max(limits.requestTimeoutMs, limits.headerTimeoutMs);
  http1.keepAliveTimeout = limits.idleTimeoutMs;
  http1.connectionsCheckingInterval = Math.min(
    1000,
    Math.max(100, Math.floor(Math.min(limits.headerTimeoutMs, limits.requestTimeoutMs) / 4)),
  );
  const admitStream = limitConnections(server, limits, runtime.logger);
  const sessions = limitHttp2Sessions(server, limits);

  server.on('request', (req: AgentRequest, res: AgentResponse) => {
    try {
      routeRequest(req, res);
    } catch (error) {
      // A bug here must not end the process (no later stage would catch it): this request gets a
      // 500 Status, every other one goes on. Logged without the query, which may still carry a
      // credential (access_token) at this point.
      const path = (req.url ?? '').split('?')[0]?.slice(0, 200);
      runtime.logger.error({ err: errorText(error), method: req.method, path }, 'request handler failed');
      writeStatus(res, kubeStatus(500, 'InternalError', 'the gateway failed to handle this request'));
    }
  });

  const routeRequest = (req: AgentRequest, res: AgentResponse): void => {
    if (isHttp2(req)) {
      const release = admitStream(req.socket.remoteAddress);
      if (!release) {
        writeStatus(res, kubeStatus(429, 'TooManyRequests', TOO_MANY_STREAMS), { 'retry-after': '1' });
        return;
      }
      req.stream.once('close', release);
      sessions.limitRequest(req);
    }
    if (answerHealth(req, res, health)) return;
    // Before the agent pipeline: people's API never runs an agent stage, and vice versa.
    if (options.api?.(req, res)) return;
    const id = requestIdOf(req);
    res.setHeader('x-request-id', id);
    res.setHeader('audit-id', id);
    const ctx: RequestContext = { req, res, startedAt: process.hrtime.bigint(), id };
    void chain.request(ctx);
  };

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
  return {
    server,
    closeAllConnections() {
      // What http.Server#closeAllConnections does, on the HTTP/1.1 connections Node tracks for an
      // HTTP/2 server that allows HTTP/1.1 (the HTTP/2 server itself has no such method).
      HttpServer.prototype.closeAllConnections.call(server);
      sessions.destroyAll();
    },
  };
}

/**
 * `connections.http2: false`: ALPN always picks HTTP/1.1, so every client speaks HTTP/1.1 (kubectl
 * and client-go offer both). A client offering only h2 gets the TLS alert no_application_protocol,
 * as from a server without HTTP/2; a client offering no protocol at all speaks HTTP/1.1 anyway.
 */
function http1Only({ protocols }: { protocols: string[] }): string | undefined {
  return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
}

interface Http1Timeouts {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
}

const TOO_MANY_STREAMS =
  'too many requests at once from this address (connections.maxConnectionsPerSource, each HTTP/2 ' +
  'stream counting as a connection) or in total (connections.maxConnections); retry shortly';

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
