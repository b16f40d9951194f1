import type { ClientRequest, OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { GatewayCluster } from '../runtime.ts';

/** The upstream path for a cluster path: the cluster's base path (if any) plus the request's. */
export function upstreamPath(cluster: GatewayCluster, clusterPath: string, rawQuery: string): string {
  const base = cluster.target.baseUrl.pathname.replace(/\/+$/, '');
  return `${base}${clusterPath}${rawQuery ? `?${rawQuery}` : ''}`;
}

/** Opens a request to the cluster with its pooled, credentialed TLS agent. */
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
