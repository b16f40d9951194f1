/**
 * Everything that is not a resource path: `/version` (whose minor picks the kubectl binary the
 * /usr/bin/kubectl dispatcher runs), health checks, discovery and OpenAPI. Unknown paths get the
 * apiserver's 404 Status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from '../discovery.ts';
import { sendJson } from '../http/respond.ts';
import { notFoundPath } from '../http/route.ts';
import { openApiDocument, openApiIndex } from '../openapi.ts';

/** Paths anyone may read without credentials (system:public-info-viewer on a real cluster). */
export const PUBLIC_PATHS = new Set(['/version', '/healthz', '/readyz', '/livez']);

export interface ServerInfo {
  /** `1.33`. */
  kubeVersion: string;
  /** host:port clients reach the server at, for APIVersions. */
  address: string;
}

export function versionInfo(kubeVersion: string): Record<string, string> {
  const [major = '1', minor = '33'] = kubeVersion.split('.');
  return {
    major,
    minor,
    gitVersion: `v${major}.${minor}.0`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.24.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** The JSON document at a discovery or OpenAPI path, or undefined when there is none. */
function documentAt(path: string, info: ServerInfo): unknown {
  if (path === '/version') return versionInfo(info.kubeVersion);
  if (path === '/api') return apiVersions(info.address);
  if (path === '/apis') return apiGroupList();
  if (path === '/openapi/v3') return openApiIndex(info.kubeVersion);
  if (path.startsWith('/openapi/v3/'))
    return openApiDocument(path.slice('/openapi/v3/'.length), info.kubeVersion);
  const [prefix, first = '', second, ...rest] = path.split('/').slice(1);
  if (rest.length > 0) return undefined;
  if (prefix === 'api' && second === undefined) return apiResourceList('', first);
  if (prefix === 'apis' && second === undefined) return apiGroup(first);
  if (prefix === 'apis' && second !== undefined) return apiResourceList(first, second);
  return undefined;
}

export function handleNonResource(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  info: ServerInfo,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw notFoundPath();
  if (path === '/healthz' || path === '/readyz' || path === '/livez') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end('ok');
    return;
  }
  const body = documentAt(path, info);
  if (body === undefined) throw notFoundPath();
  sendJson(res, 200, body);
}
