import { describe, expect, it } from 'vitest';
import { routeCluster } from '../../gateway/pipeline/route-cluster.ts';
import { queryOf } from '../../gateway/request-context.ts';
import { runStage } from '../support/run-stage.ts';
import { cluster } from '../support/stage-fixtures.ts';

/**
 * routeCluster promises: `/clusters/<name>/…` picks the cluster and leaves the path below the
 * prefix (still percent-encoded, so classify reads exactly what was sent) and the raw query; a
 * path outside `/clusters/` or an unknown name is a 404 and goes no further. It runs after
 * authenticate, so only authenticated callers read which clusters the gateway serves.
 */

const CLUSTERS = new Map([
  ['prod', cluster('prod')],
  ['staging', cluster('staging')],
]);

const routed = [
  {
    url: '/clusters/prod/api/v1/namespaces/default/pods?limit=5&labelSelector=app%3Dweb',
    cluster: 'prod',
    clusterPath: '/api/v1/namespaces/default/pods',
    rawQuery: 'limit=5&labelSelector=app%3Dweb',
    query: { limit: '5', labelSelector: 'app=web' },
  },
  { url: '/clusters/staging', cluster: 'staging', clusterPath: '/', rawQuery: '', query: {} },
  { url: '/clusters/staging/', cluster: 'staging', clusterPath: '/', rawQuery: '', query: {} },
  { url: '/clusters/prod/version?', cluster: 'prod', clusterPath: '/version', rawQuery: '', query: {} },
  {
    url: '/clusters/prod/api/v1/namespaces/a%2Fb/pods',
    cluster: 'prod',
    clusterPath: '/api/v1/namespaces/a%2Fb/pods',
    rawQuery: '',
    query: {},
  },
  {
    url: '/clusters/prod/api/v1/pods?watch=1;x',
    cluster: 'prod',
    clusterPath: '/api/v1/pods',
    rawQuery: 'watch=1;x',
    query: { watch: '1;x' },
  },
];

describe('routeCluster routes', () => {
  it.each(routed)('$url → $cluster $clusterPath', async (row) => {
    const run = await runStage(routeCluster(CLUSTERS), { url: row.url });
    expect(run.thrown).toBeUndefined();
    expect(run.next.calls).toBe(1);
    const ctx = run.next.ctx;
    expect(ctx?.cluster).toBe(CLUSTERS.get(row.cluster));
    expect(ctx?.clusterPath).toBe(row.clusterPath);
    expect(ctx?.rawQuery).toBe(row.rawQuery);
    expect(Object.fromEntries(ctx ? queryOf(ctx) : [])).toEqual(row.query);
  });
});

const refused = [
  { url: '/clusters/production/api/v1/pods', message: /^unknown cluster "production"; this gateway serves / },
  { url: '/clusters/prod-1/api', message: /^unknown cluster "prod-1"/ },
  { url: '/clusters//api/v1/pods', message: /^unknown cluster ""/ },
  { url: '/clusters/', message: /^unknown cluster ""/ },
  { url: '/api/v1/pods', message: /^no cluster in path "\/api\/v1\/pods": .*\/clusters\/<name>\// },
  { url: '/clusters', message: /^no cluster in path "\/clusters"/ },
  { url: '/Clusters/prod/api', message: /^no cluster in path/ },
];

describe('routeCluster refuses', () => {
  it.each(refused)('$url → 404, next not called', async (row) => {
    const run = await runStage(routeCluster(CLUSTERS), { url: row.url });
    expect(run.next.calls).toBe(0);
    expect(run.status).toBe(404);
    expect(run.kubeStatus).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
    expect(run.kubeStatus?.message).toMatch(row.message);
    expect(run.ctx.cluster).toBeUndefined();
  });
});
