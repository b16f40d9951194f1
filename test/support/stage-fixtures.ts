import { Agent } from 'node:https';
import { Pool } from 'undici';
import type { GatewayCluster } from '../../gateway/runtime.ts';
import { watchSessions } from '../../gateway/upstream/credentials/watch-sessions.ts';
import type { Caller } from '../../src/authn/caller.ts';
import { classifyRequest } from '../../src/request/request-info.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';

/**
 * The context values earlier stages leave behind, for running a later stage on its own: a
 * cluster (its upstream is never dialled before the terminal handler), a verified caller, and
 * request info computed by the real classifier.
 */

export function cluster(name: string): GatewayCluster {
  const baseUrl = new URL(`https://${name}.cluster.test`);
  const requests = new Pool(baseUrl);
  return {
    name,
    target: {
      baseUrl,
      agent: new Agent(),
      requests,
      watches: watchSessions(baseUrl, {}, requests, { connectTimeoutMs: 5000, idleMs: 30_000 }),
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
