import { z } from 'zod';

/**
 * The `connections:` section: how long a client may take to send a request, how long an idle
 * connection is kept, and how many connections the gateway holds open. Without limits, a client
 * that opens connections and sends nothing (or one byte at a time) holds a socket, TLS state and
 * a parser each for as long as it likes, and enough of them exhaust the gateway's file
 * descriptors for every other agent.
 *
 * None of these cut long-running calls: the header and request timeouts end once the request
 * (headers and body) has arrived, so a watch or `logs -f` streams for as long as the cluster
 * keeps it open; the idle timeout applies only between requests on a keep-alive connection; and
 * exec, attach and port-forward leave HTTP at their upgrade.
 *
 * ```yaml
 * connections:
 *   headerTimeout: 30s            # TLS handshake, request line and headers
 *   requestTimeout: 60s           # the whole request, body included
 *   idleTimeout: 60s              # a keep-alive connection between requests
 *   maxConnections: 4096          # open connections, in total
 *   maxConnectionsPerSource: 512  # open connections from one client IP address
 *   http2: true                   # offer HTTP/2 beside HTTP/1.1 (ALPN), as kube-apiserver does
 * ```
 */

const duration = z.string().regex(/^\d+(ms|s|m|h)$/, 'a duration such as 500ms, 20s, 15m or 1h');

export const connectionsSchema = z.strictObject({
  headerTimeout: duration.default('30s'),
  requestTimeout: duration.default('60s'),
  idleTimeout: duration.default('60s'),
  maxConnections: z.number().int().min(1).default(4096),
  maxConnectionsPerSource: z.number().int().min(1).default(512),
  http2: z.boolean().default(true),
});

export type ConnectionsSection = z.infer<typeof connectionsSchema>;

/** The section with its durations in milliseconds. */
export interface ConnectionSettings {
  headerTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** Offer HTTP/2 to clients (ALPN `h2`); false: HTTP/1.1 only. */
  http2: boolean;
}

export function resolveConnections(
  section: ConnectionsSection | undefined,
  durationMs: (text: string) => number,
): ConnectionSettings {
  const raw = section ?? connectionsSchema.parse({});
  return {
    headerTimeoutMs: durationMs(raw.headerTimeout),
    requestTimeoutMs: durationMs(raw.requestTimeout),
    idleTimeoutMs: durationMs(raw.idleTimeout),
    maxConnections: raw.maxConnections,
    maxConnectionsPerSource: raw.maxConnectionsPerSource,
    http2: raw.http2,
  };
}

/** What the gateway runs with when started without a config file's `connections:` (tests, demo). */
export const DEFAULT_CONNECTIONS: ConnectionSettings = {
  headerTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 60_000,
  maxConnections: 4096,
  maxConnectionsPerSource: 512,
  http2: true,
};
