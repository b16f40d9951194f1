import { Agent } from 'node:https';
import { Pool } from 'undici';
import type { GatewayCluster } from '../../gateway/runtime.ts';
import type { Caller } from '../../src/authn/caller.ts';
import { classifyRequest } from '../../src/request/request-info.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';

/**
 * The context values earlier stages leave behind, for running a later stage on its own: a
 * cluster (its upstream is never dialled before the terminal handler), a verified caller, and
 * request info computed by the real classifier.
 */

export function cluster(name: string): GatewayCluster {
  return {
    name,
    target: {
      baseUrl: new URL(`https://${name}.cluster.test`),
      agent: new Agent(),
      requests: new Pool(`https://${name}.cluster.test`),
      authorization: async () => undefined,
      close: () => undefined,
    },
    upstreamTimeoutMs: 5000,
  };
}

export function caller(overrides: Partial<Caller> = {}): Caller {
  return {
    issuer: 'https://issuer.test',
    subject: 'agent-1',
    groups: ['ai-agents'],
    claims: { actor: 'alice' },
    ...overrides,
  };
}

/** `classifyRequest` as the classify stage runs it: method, cluster-relative path, raw query. */
export function info(method: string, path: string, rawQuery = ''): RequestInfo {
  return classifyRequest(method, path, rawQuery);
}
