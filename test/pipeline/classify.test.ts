import { describe, expect, it } from 'vitest';
import { classify } from '../../gateway/pipeline/classify.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { runStage } from '../support/run-stage.ts';

/**
 * classify promises: the request info exactly as kube-apiserver computes it (from the method, the
 * still-encoded cluster path and the raw query routeCluster left behind), a 400 for any path or
 * query that cannot be read with certainty (so policy never evaluates a guess), and `create` for
 * an upgrade through a proxy subresource (a `get` rule must not let a kubelet exec through).
 */

interface Classified {
  name: string;
  method: string;
  clusterPath: string;
  rawQuery?: string;
  upgrade?: boolean;
  info: Partial<RequestInfo>;
}

const classified: Classified[] = [
  {
    name: 'a named pod',
    method: 'GET',
    clusterPath: '/api/v1/namespaces/payments/pods/web-1',
    info: {
      isResourceRequest: true,
      verb: 'get',
      apiGroup: '',
      namespace: 'payments',
      resource: 'pods',
      name: 'web-1',
    },
  },
  {
    name: 'a list across namespaces',
    method: 'GET',
    clusterPath: '/api/v1/pods',
    info: { verb: 'list', resource: 'pods', namespace: '' },
  },
  {
    name: 'a watch by query',
    method: 'GET',
    clusterPath: '/apis/apps/v1/namespaces/shop/deployments',
    rawQuery: 'watch=true&resourceVersion=10',
    info: { verb: 'watch', apiGroup: 'apps', apiVersion: 'v1', resource: 'deployments', namespace: 'shop' },
  },
  {
    name: 'a subresource',
    method: 'GET',
    clusterPath: '/api/v1/namespaces/shop/pods/web-1/log',
    rawQuery: 'follow=true',
    info: { verb: 'get', resource: 'pods', subresource: 'log', name: 'web-1' },
  },
  {
    name: 'a delete',
    method: 'DELETE',
    clusterPath: '/api/v1/namespaces/shop/configmaps/settings',
    info: { verb: 'delete', resource: 'configmaps', name: 'settings' },
  },
  {
    name: 'exec over WebSocket (GET) is create',
    method: 'GET',
    clusterPath: '/api/v1/namespaces/shop/pods/web-1/exec',
    rawQuery: 'command=sh&stdin=true',
    upgrade: true,
    info: { verb: 'create', resource: 'pods', subresource: 'exec' },
  },
  {
    name: 'a non-resource path',
    method: 'GET',
    clusterPath: '/version',
    info: { isResourceRequest: false, verb: 'get', path: '/version' },
  },
  {
    name: 'one trailing slash, as kube-apiserver trims it',
    method: 'GET',
    clusterPath: '/api/v1/namespaces/shop/pods/',
    info: { verb: 'list', resource: 'pods', namespace: 'shop' },
  },
  {
    name: 'an upgrade through nodes/proxy is create, not get',
    method: 'GET',
    clusterPath: '/api/v1/nodes/node-1/proxy/exec/shop/web-1/app',
    rawQuery: 'command=sh',
    upgrade: true,
    info: { verb: 'create', resource: 'nodes', subresource: 'proxy', name: 'node-1' },
  },
  {
    name: 'an upgrade through pods/proxy is create, not get',
    method: 'GET',
    clusterPath: '/api/v1/namespaces/shop/pods/web-1/proxy/ws',
    upgrade: true,
    info: { verb: 'create', resource: 'pods', subresource: 'proxy' },
  },
  {
    name: 'the same nodes/proxy path without an upgrade stays get',
    method: 'GET',
    clusterPath: '/api/v1/nodes/node-1/proxy/metrics',
    info: { verb: 'get', resource: 'nodes', subresource: 'proxy' },
  },
];

describe('classify computes the request info', () => {
  it.each(classified)('$name', async (row) => {
    const run = await runStage(classify(), {
      method: row.method,
      upgrade: row.upgrade ?? false,
      ctx: { clusterPath: row.clusterPath, rawQuery: row.rawQuery ?? '' },
    });
    expect(run.thrown).toBeUndefined();
    expect(run.next.calls).toBe(1);
    expect(run.next.ctx?.info).toMatchObject(row.info);
  });
});

interface Refused {
  name: string;
  method?: string;
  clusterPath: string;
  rawQuery?: string;
  code?: number;
  message: RegExp;
}

const refused: Refused[] = [
  {
    name: 'an encoded slash',
    clusterPath: '/api/v1/namespaces/a%2Fb/pods',
    message: /an encoded "\/" \(%2F\)/,
  },
  {
    name: 'an encoded dot',
    clusterPath: '/api/v1/namespaces/%2E%2E/pods',
    message: /an encoded "\." \(%2E\)/,
  },
  { name: 'double encoding', clusterPath: '/api/v1/namespaces/a%252Fb/pods', message: /double encoding/ },
  {
    name: 'an empty segment',
    clusterPath: '/api/v1//namespaces/x/pods',
    message: /refused the request path/,
  },
  {
    name: 'a dot-dot segment',
    clusterPath: '/api/v1/namespaces/x/../pods',
    message: /refused the request path/,
  },
  { name: 'a backslash', clusterPath: '/api/v1/namespaces/x\\y/pods', message: /refused the request path/ },
  { name: 'a ";" in the query', clusterPath: '/api/v1/pods', rawQuery: 'watch=1;x', message: /a ";"/ },
  {
    name: 'an invalid query escape',
    clusterPath: '/api/v1/pods',
    rawQuery: 'watch=%zz',
    message: /invalid percent-escape/,
  },
  {
    name: 'a bare /api/v1/watch',
    clusterPath: '/api/v1/watch',
    message: /legacy "watch" prefix must be followed by a resource/,
  },
  {
    name: 'an unknown method',
    method: 'PROPFIND',
    clusterPath: '/api/v1/pods',
    code: 405,
    message: /HTTP method "PROPFIND"/,
  },
];

describe('classify refuses what it cannot read with certainty', () => {
  it.each(refused)('$name', async (row) => {
    const run = await runStage(classify(), {
      method: row.method ?? 'GET',
      ctx: { clusterPath: row.clusterPath, rawQuery: row.rawQuery ?? '' },
    });
    const code = row.code ?? 400;
    expect(run.next.calls).toBe(0);
    expect(run.status).toBe(code);
    expect(run.kubeStatus).toMatchObject({
      kind: 'Status',
      code,
      reason: code === 400 ? 'BadRequest' : 'MethodNotAllowed',
    });
    expect(run.kubeStatus?.message).toMatch(row.message);
  });
});
