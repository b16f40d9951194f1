import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Caller } from '../src/authn/caller.ts';
import type { ReviewSpec } from '../src/policy/policy.types.ts';
import type { RequestInfo } from '../src/request/request-info.types.ts';
import type { RequestRecording } from './recording/request-recording.ts';
import type { GatewayCluster } from './runtime.ts';
import type { UpstreamBody } from './upstream/upstream-exchange.ts';

/** The policy outcome the authorize stage leaves behind, for the log line and later stages. */
export interface DecisionSummary {
  action: 'allow' | 'deny' | 'review';
  rule: string;
  /** For `review`: what the policy says about it, and the rule's review settings. */
  message?: string;
  review?: ReviewSpec;
}

/**
 * What one request carries through the chain. Each stage fills in its field; the accessor functions
 * below fail loudly if a stage runs before the one that provides what it needs (a wiring bug).
 */
/** An agent's request as Node hands it over: HTTP/1.1, or one HTTP/2 stream (compatibility API). */
export type AgentRequest = IncomingMessage | Http2ServerRequest;
/**
 * The answer to an {@link AgentRequest}: what the stages use of a response, which HTTP/1.1's
 * `ServerResponse` and HTTP/2's `Http2ServerResponse` both provide (their overloads differ, so
 * TypeScript could not call them through a union). HTTP/2 refuses connection-specific header
 * fields (RFC 9113 §8.2.2): the gateway never sets them, and headers.ts drops them from relayed
 * responses. (@types/node leaves out `Http2ServerResponse#flushHeaders`, which Node has.)
 */
export interface AgentResponse extends NodeJS.EventEmitter {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly req: AgentRequest;
  readonly socket: Socket | null;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  getHeader(name: string): number | string | string[] | undefined;
  getHeaders(): OutgoingHttpHeaders;
  removeHeader(name: string): void;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
  flushHeaders(): void;
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  end(chunk?: string | Uint8Array, callback?: () => void): unknown;
  destroy(error?: Error): unknown;
}

/**
 * The request of an upgrade (exec, attach, port-forward): always HTTP/1.1, since HTTP/2 has no
 * Upgrade (clients open these over HTTP/1.1; server.ts only routes HTTP/1.1 upgrades there).
 */
export function upgradeRequest(ctx: RequestContext): IncomingMessage {
  if (isHttp2(ctx.req)) throw new Error('pipeline wiring: an HTTP/2 request on the upgrade path');
  return ctx.req;
}

/** True for a request that came as an HTTP/2 stream. */
export function isHttp2(req: AgentRequest): req is Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

export interface RequestContext {
  req: AgentRequest;
  res: AgentResponse;
  /** Present for upgrade requests (exec, attach, port-forward): the raw client socket. */
  upgrade?: { socket: Duplex; head: Buffer };
  startedAt: bigint;
  /**
   * This request's id (a UUID), returned as `X-Request-Id` and `Audit-Id`, sent upstream as
   * `Audit-Id`, and carried by every log line and audit event about the request.
   */
  id: string;
  /** Upstream time to response headers, in milliseconds (forward.ts), for the log and metrics. */
  upstreamMs?: number;
  /** The upstream exchange being relayed (forward.ts), so shutdown can end a watch cleanly. */
  upstream?: UpstreamBody;
  /** The client's WebSocket, when the gateway terminated it (shutdown sends it a 1001 close). */
  clientWebSocket?: WebSocket;
  cluster?: GatewayCluster;
  /** The path below `/clusters/<name>`, still percent-encoded, without the query. */
  clusterPath?: string;
  /** The query's parameters, once {@link queryOf} parsed them (most requests never read them). */
  query?: URLSearchParams;
  /** The raw query string (without `?`), forwarded as is. */
  rawQuery?: string;
  caller?: Caller;
  info?: RequestInfo;
  decision?: DecisionSummary;
  /**
   * The request body, when a stage had to read it (review fingerprints cover the body, the
   * recording gate stores it); read once (request-body.ts), and the terminal handler then sends these
   * bytes instead of piping the already-consumed request.
   */
  body?: Buffer;
  /**
   * The values a write to a value-holding object carries in its value fields (inspect-write.ts),
   * so a Status that quotes one is withheld from the agent and the recording. Never logged.
   */
  writeValues?: string[];
  /**
   * This request's part of its session's recording, when recording is on and the session could be
   * opened (pipeline/record.ts); the upgrade terminal records streams into it.
   */
  recording?: RequestRecording;
  /** The review this request went through: its id and how it ended, for the log line. */
  review?: { id: string; outcome: string };
  /** How many values the masker replaced in the response, when it was masked. */
  masked?: number;
  /** Status code upstream answered with (or the gateway's own error code). */
  status?: number;
  /** Why the gateway refused, for the log line. */
  refusal?: string;
}

/**
 * Handles a request (a stage and everything after it). It may refuse by throwing synchronously
 * as well as by rejecting: a stage that only checks and passes on is a plain function returning
 * `next(ctx)`, because an `async` wrapper cost a promise and a resumption per stage per request
 * (four such stages: 0.93–0.95× the gateway's CPU per request in paired comparisons,
 * docs/performance.md). Every caller awaits a handler inside an `async` function or a `try`,
 * where the two are the same.
 */
export type Handler = (ctx: RequestContext) => Promise<void>;
/** A stage wraps the next handler, like kube-apiserver's filters. */
export type Stage = (next: Handler) => Handler;

function missing(what: string): never {
  throw new Error(`pipeline wiring: ${what} is not set yet`);
}

export const clusterFrom = (ctx: RequestContext): GatewayCluster => ctx.cluster ?? missing('cluster');
export const callerFrom = (ctx: RequestContext): Caller => ctx.caller ?? missing('caller');
export const infoFrom = (ctx: RequestContext): RequestInfo => ctx.info ?? missing('request info');

/**
 * The request's query parameters (without any credential parameter, route-cluster.ts), parsed on
 * first use: only a few responses depend on them (`follow` of a log), and a `URLSearchParams` per
 * request was garbage for the rest.
 */
export function queryOf(ctx: RequestContext): URLSearchParams {
  ctx.query ??= new URLSearchParams(ctx.rawQuery ?? '');
  return ctx.query;
}
