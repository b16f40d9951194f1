import type { Logger } from 'pino';
import type { Caller } from '../src/authn/caller.ts';
import type { RequestInfo } from '../src/request/request-info.types.ts';
import type { UpstreamTarget } from './upstream/credentials/types.ts';

/** One cluster behind the gateway, reachable at `/clusters/<name>/…`. */
export interface GatewayCluster {
  name: string;
  target: UpstreamTarget;
  /** How long to wait for upstream response headers before answering 504. */
  upstreamTimeoutMs: number;
}

/** What the gateway needs from authentication: a verified caller for a bearer token, or a 401. */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<Caller>;
}

/** The policy decision, as data. */
export interface PolicyDecision {
  action: 'allow' | 'deny' | 'review';
  rule: string;
  message: string;
}

export interface PolicyEngine {
  evaluate(input: { caller: Caller; cluster: string; info: RequestInfo }): PolicyDecision;
}

/** How an agent's identity is presented upstream (Impersonate-User / Impersonate-Group). */
export interface IdentityMapping {
  userPrefix: string;
  groupPrefix: string;
  extraGroups: string[];
}

/** Everything the request pipeline uses, built once at start-up (nothing here does I/O per request). */
export interface GatewayRuntime {
  clusters: Map<string, GatewayCluster>;
  authenticator: TokenAuthenticator;
  policy: PolicyEngine;
  identity: IdentityMapping;
  logger: Logger;
}
