import type { Agent } from 'node:https';

/**
 * How the gateway reaches one cluster: where it is, the TLS agent that trusts it (and carries a
 * client certificate if any), and the Authorization header to send. Credentials stay in memory.
 *
 * This is the seam for every credential source: kubeconfig, in-cluster service account, and
 * (later) EKS, whose token is minted from AWS STS and refreshed before it expires.
 */
export interface UpstreamTarget {
  /** The API server's base URL; may carry a path prefix (client-go supports that). */
  baseUrl: URL;
  /** Keep-alive agent with the cluster's CA, client certificate and server name. */
  agent: Agent;
  /** The `Authorization` header value for the next request, or undefined (client-certificate auth). */
  authorization(): Promise<string | undefined>;
  /** Stops timers (token refresh) and closes pooled connections. */
  close(): void;
}
