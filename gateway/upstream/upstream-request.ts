import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { callerFrom, clusterFrom, type RequestContext } from '../request-context.ts';
import type { GatewayCluster, IdentityMapping } from '../runtime.ts';
import { upstreamRequestHeaders } from './headers.ts';

/** Where and how one request goes upstream: its cluster, the path, and the headers to send. */
export interface UpstreamTarget {
  cluster: GatewayCluster;
  path: string;
  headers: OutgoingHttpHeaders;
}

/**
 * The upstream target of a request, for every way it can go upstream (forward, a relayed upgrade,
 * a recorded exec's WebSocket client): the request's own path and query below the cluster's base
 * path, sent as the agent — the caller's headers minus its credential and any impersonation it
 * asked for, plus the gateway's credential and the agent's impersonated identity (headers.ts).
 * With `upgrade`, the headers ask for the same protocol upgrade the client asked for.
 */
export async function upstreamTarget(
  ctx: RequestContext,
  identity: IdentityMapping,
  options: { upgrade: boolean },
): Promise<UpstreamTarget> {
  const cluster = clusterFrom(ctx);
  const caller = callerFrom(ctx);
  const headers = upstreamRequestHeaders(
    ctx.req,
    caller,
    identity,
    await cluster.target.authorization(caller),
    options,
  );
  return { cluster, path: upstreamPath(cluster, ctx.clusterPath ?? '/', ctx.rawQuery ?? ''), headers };
}

/** The upstream path for a cluster path: the cluster's base path (if any) plus the request's. */
export function upstreamPath(cluster: GatewayCluster, clusterPath: string, rawQuery: string): string {
  const base = cluster.target.baseUrl.pathname.replace(/\/+$/, '');
  return `${base}${clusterPath}${rawQuery ? `?${rawQuery}` : ''}`;
}

/**
 * Opens a request to the cluster with its credentialed Node TLS agent: for upgrades and the
 * gateway's own questions to the cluster. Ordinary requests go through its undici pool (forward.ts).
 */
export function openUpstreamRequest(
  cluster: GatewayCluster,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
): ClientRequest {
  const url = cluster.target.baseUrl;
  return request({
    protocol: 'https:',
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || 443,
    method,
    path,
    headers,
    agent: cluster.target.agent,
  });
}
