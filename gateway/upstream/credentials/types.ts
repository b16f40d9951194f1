import type { Caller } from '../../../src/authn/caller.ts';
import type { ClusterConnectionPools } from './connection-pool.ts';

/**
 * How the gateway reaches one cluster: where it is, the connection pools that trust it (and carry a
 * client certificate if any), and the Authorization header to send. Credentials stay in memory.
 *
 * This is the seam for every credential source: kubeconfig (static, file, exec plugin), in-cluster
 * service account, and EKS (eks.ts), whose token is presigned for AWS STS and renewed before it
 * expires.
 */
export interface UpstreamTarget extends ClusterConnectionPools {
  /** The API server's base URL; may carry a path prefix (client-go supports that). */
  baseUrl: URL;
  /**
   * The `Authorization` header value for the next request, or undefined (client-certificate
   * auth). `caller` is the agent the request is for: a source with per-agent sessions (EKS with
   * sessionTags) signs as that agent's session; the others ignore it. May throw a StatusError
   * (503) when the credential cannot be had (an exec plugin failing, STS down).
   */
  authorization(caller?: Caller): Promise<string | undefined>;
  /**
   * The cluster answered 401 to `authorization`: drop it if cached, so the next call gets a fresh
   * one (once per refusal; a source without a cache leaves this out).
   */
  rejected?(authorization: string, caller?: Caller): void;
  /** Stops timers (token refresh) and closes pooled connections. */
  close(): void;
}
