import { Agent, type AgentOptions } from 'node:https';

/**
 * The connection pool to one cluster. Kept-alive connections are reused, and closed by the gateway
 * after {@link IDLE_SOCKET_MS} unused, or 1 s before the server's announced `Keep-Alive: timeout`
 * (Node's agent reads the hint, but only when the agent has a timeout of its own). A pooled
 * connection the server closes at the moment the gateway reuses it fails the request with a reset
 * (502) — and a write such as a held DELETE cannot be resent blindly — so the gateway closes idle
 * connections first: kube-apiserver closes them after 90 s, cloud load balancers after 60 s or
 * more, a Node server after 5 s with the hint.
 */
export const IDLE_SOCKET_MS = 30_000;

export function clusterConnectionPool(
  tls: Pick<AgentOptions, 'ca' | 'cert' | 'key' | 'servername' | 'rejectUnauthorized'>,
): Agent {
  return new Agent({
    keepAlive: true,
    timeout: IDLE_SOCKET_MS,
    maxSockets: Number.POSITIVE_INFINITY, // every open watch or `logs -f` holds a socket: no cap
    ...tls,
  });
}
