import { Agent, type AgentOptions } from 'node:https';
import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';
import { type WatchDispatcher, watchSessions } from './watch-sessions.ts';

/**
 * undici's Pool alone: its package index also loads fetch, WebSocket, caches and the other
 * dispatchers, which the gateway never uses (RSS at rest: see docs/performance.md). undici
 * has no exports map, so the file is reachable; the tests exercise every call through it.
 */
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;

/**
 * The connection pools to one cluster. Kept-alive connections are reused, and closed by the gateway
 * after {@link IDLE_SOCKET_MS} unused, or 1 s before the server's announced `Keep-Alive: timeout`.
 * A pooled connection the server closes at the moment the gateway reuses it fails the request
 * with a reset (502) — and a write such as a held DELETE cannot be resent blindly — so the gateway
 * closes idle connections first: kube-apiserver closes them after 90 s, cloud load balancers after
 * 60 s or more, a Node server after 5 s with the hint.
 */
export const IDLE_SOCKET_MS = 30_000;

export type ClusterTls = Pick<AgentOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>;

export interface PoolOptions {
  /**
   * Longest wait for a new connection (TCP and TLS), in ms: the cluster's upstreamTimeout, so a
   * request that gave up on a cluster that does not answer leaves no connection attempt behind.
   * Default 10 s.
   */
  connectTimeoutMs?: number;
}

export interface ClusterConnectionPools {
  /**
   * Ordinary requests, the forwarding hot path (forward.ts): an undici pool, whose handler
   * callbacks let the answer go straight to the client without a stream in between (half the CPU
   * per small request of Node's `https.request` and a piped `IncomingMessage`, docs/performance.md).
   */
  requests: UndiciPool;
  /** Upgrades (exec, attach, port-forward) and the gateway's own questions: Node's TLS agent. */
  agent: Agent;
  /** Watches: streams on shared HTTP/2 connections where the cluster speaks h2 (watch-sessions.ts). */
  watches: WatchDispatcher;
}

/** Both pools to one cluster, with the same TLS trust, client certificate and server name. */
export function clusterConnectionPools(
  baseUrl: URL,
  tls: ClusterTls,
  options: PoolOptions = {},
): ClusterConnectionPools {
  const agent = new Agent({
    keepAlive: true,
    // Node's agent reads the server's Keep-Alive hint only when it has a timeout of its own.
    timeout: IDLE_SOCKET_MS,
    maxSockets: Number.POSITIVE_INFINITY, // every open watch or `logs -f` holds a socket: no cap
    ...tls,
  });
  const requests = new Pool(baseUrl.origin, {
    connections: null, // no cap, as above
    pipelining: 1, // never two requests in flight on one connection: a write is not resent blindly
    keepAliveTimeout: IDLE_SOCKET_MS,
    keepAliveTimeoutThreshold: 1000,
    // The forwarding path sets the header timeout per request (the cluster's upstreamTimeout);
    // a body may be silent for as long as a watch is open.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { ...tls },
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    // HTTP/1.1 only. Over HTTP/2 undici folds repeated request fields into one comma-joined field,
    // and kube-apiserver then reads `Impersonate-Group: a, b` as the single group "a, b" (the
    // agent loses its groups). test/kube-apiserver-e2e/rbac.test.ts fails if this is turned on.
    allowH2: false,
  });
  const watches = watchSessions(baseUrl, tls, requests, {
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    idleMs: IDLE_SOCKET_MS,
  });
  return { requests, agent, watches };
}

/** Closes both pools' connections, open requests included (the gateway is stopping). */
export function closeConnectionPools(pools: ClusterConnectionPools): void {
  pools.agent.destroy();
  pools.watches.close();
  void pools.requests.destroy().catch(() => undefined);
}
