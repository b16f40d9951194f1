import { StatusError } from '../../src/errors.ts';
import { withoutQueryCredentials } from '../../src/request/query-credentials.ts';
import type { Stage } from '../request-context.ts';
import type { GatewayCluster } from '../runtime.ts';

const PREFIX = '/clusters/';

/**
 * Picks the cluster from the path prefix `/clusters/<name>/…` and leaves behind the cluster, the
 * path below the prefix (still percent-encoded, classified later) and the query, without any
 * `access_token` parameter (query-credentials.ts): every later stage, the log, the recording and
 * the upstream request see the query without it.
 */
export function routeCluster(clusters: Map<string, GatewayCluster>): Stage {
  return (next) => (ctx) => {
    const url = ctx.req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const rawQuery = withoutQueryCredentials(queryAt === -1 ? '' : url.slice(queryAt + 1)).query;
    if (!path.startsWith(PREFIX)) {
      throw new StatusError(
        404,
        'NotFound',
        `no cluster in path "${path}": this gateway serves clusters under /clusters/<name>/ (${listNames(clusters)}); set your kubeconfig server to https://<gateway>/clusters/<name>`,
      );
    }
    const slash = path.indexOf('/', PREFIX.length);
    const name = path.slice(PREFIX.length, slash === -1 ? undefined : slash);
    const cluster = clusters.get(name);
    if (!cluster) {
      throw new StatusError(
        404,
        'NotFound',
        `unknown cluster "${name}"; this gateway serves ${listNames(clusters)}`,
      );
    }
    ctx.cluster = cluster;
    ctx.clusterPath = slash === -1 ? '/' : path.slice(slash);
    ctx.rawQuery = rawQuery;
    return next(ctx);
  };
}

function listNames(clusters: Map<string, GatewayCluster>): string {
  return [...clusters.keys()].map((n) => `"${n}"`).join(', ');
}
