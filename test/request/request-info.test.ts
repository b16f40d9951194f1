import { describe, expect, it } from 'vitest';
import { StatusError } from '../../src/errors.ts';
import { classifyRequest } from '../../src/request/request-info.ts';

/** [method, path?query, expected fields]; fields not listed are not checked. */
type Row = [string, string, Record<string, unknown>];

function classify(method: string, target: string) {
  const q = target.indexOf('?');
  return q === -1
    ? classifyRequest(method, target, '')
    : classifyRequest(method, target.slice(0, q), target.slice(q + 1));
}

const nonResource = (verb: string) => ({
  isResourceRequest: false,
  verb,
  resource: '',
  namespace: '',
  name: '',
});

const rows: Row[] = [
  // Discovery and other non-resource paths.
  ['GET', '/', nonResource('get')],
  ['GET', '/api', { ...nonResource('get'), path: '/api' }],
  ['GET', '/api/v1', nonResource('get')],
  ['GET', '/apis', nonResource('get')],
  ['GET', '/apis/apps', nonResource('get')],
  ['GET', '/apis/apps/v1', { ...nonResource('get'), apiPrefix: '', apiGroup: '' }],
  ['GET', '/version', nonResource('get')],
  ['GET', '/openapi/v2', nonResource('get')],
  ['GET', '/openapi/v3/apis/apps/v1', nonResource('get')],
  ['GET', '/healthz', nonResource('get')],
  ['HEAD', '/healthz', nonResource('head')],
  ['POST', '/healthz', nonResource('post')],
  ['GET', '/livez/etcd', nonResource('get')],
  ['GET', '/logs/kube-apiserver.log', nonResource('get')],
  // Core group, cluster-scoped and namespaced.
  [
    'GET',
    '/api/v1/nodes',
    {
      isResourceRequest: true,
      verb: 'list',
      apiPrefix: 'api',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'nodes',
      name: '',
      namespace: '',
      parts: ['nodes'],
    },
  ],
  ['GET', '/api/v1/nodes/n1', { verb: 'get', resource: 'nodes', name: 'n1' }],
  ['GET', '/api/v1/pods', { verb: 'list', resource: 'pods', namespace: '' }],
  [
    'GET',
    '/api/v1/namespaces/default/pods',
    { verb: 'list', resource: 'pods', namespace: 'default', parts: ['pods'] },
  ],
  [
    'GET',
    '/api/v1/namespaces/default/pods/p1',
    { verb: 'get', resource: 'pods', name: 'p1', namespace: 'default' },
  ],
  ['HEAD', '/api/v1/namespaces/default/pods/p1', { verb: 'get', name: 'p1' }],
  ['HEAD', '/api/v1/namespaces/default/pods', { verb: 'list' }],
  ['POST', '/api/v1/namespaces/default/pods', { verb: 'create', resource: 'pods', name: '' }],
  ['PUT', '/api/v1/namespaces/default/pods/p1', { verb: 'update', name: 'p1' }],
  ['PATCH', '/api/v1/namespaces/default/pods/p1', { verb: 'patch', name: 'p1' }],
  ['DELETE', '/api/v1/namespaces/default/pods/p1', { verb: 'delete', name: 'p1' }],
  ['DELETE', '/api/v1/namespaces/default/pods', { verb: 'deletecollection', name: '' }],
  ['PUT', '/api/v1/namespaces/default/pods/p1/status', { verb: 'update', subresource: 'status', name: 'p1' }],
  ['GET', '/api/v1/namespaces/default/pods/p1/log', { verb: 'get', subresource: 'log' }],
  [
    'GET',
    '/api/v1/namespaces/default/pods/p1/proxy/a/b',
    { verb: 'get', subresource: 'proxy', parts: ['pods', 'p1', 'proxy', 'a', 'b'] },
  ],
  // Named groups.
  [
    'GET',
    '/apis/apps/v1/namespaces/prod/deployments/web',
    {
      apiPrefix: 'apis',
      apiGroup: 'apps',
      apiVersion: 'v1',
      resource: 'deployments',
      name: 'web',
      namespace: 'prod',
      verb: 'get',
    },
  ],
  ['PATCH', '/apis/apps/v1/namespaces/prod/deployments/web/scale', { verb: 'patch', subresource: 'scale' }],
  [
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Aaggregate-to-admin',
    {
      name: 'system:aggregate-to-admin',
      path: '/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregate-to-admin',
    },
  ],
  // The namespace object and its subresources.
  ['GET', '/api/v1/namespaces', { verb: 'list', resource: 'namespaces', namespace: '', name: '' }],
  [
    'GET',
    '/api/v1/namespaces/payments',
    { verb: 'get', resource: 'namespaces', name: 'payments', namespace: 'payments' },
  ],
  [
    'DELETE',
    '/api/v1/namespaces/payments',
    { verb: 'delete', resource: 'namespaces', name: 'payments', namespace: 'payments' },
  ],
  [
    'PUT',
    '/api/v1/namespaces/payments/finalize',
    {
      verb: 'update',
      resource: 'namespaces',
      name: 'payments',
      subresource: 'finalize',
      namespace: 'payments',
      parts: ['namespaces', 'payments', 'finalize'],
    },
  ],
  [
    'GET',
    '/api/v1/namespaces/payments/status',
    { verb: 'get', resource: 'namespaces', name: 'payments', subresource: 'status', namespace: 'payments' },
  ],
  // watch query parameter: apimachinery's bool conversion.
  ['GET', '/api/v1/namespaces/default/pods?watch=1', { verb: 'watch' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=true', { verb: 'watch' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=false', { verb: 'list' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=FALSE', { verb: 'list' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=0', { verb: 'list' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=0&watch=1', { verb: 'list' }],
  ['GET', '/api/v1/namespaces/default/pods?watch=1&watch=0', { verb: 'watch' }],
  ['GET', '/api/v1/namespaces/default/pods/p1?watch=1', { verb: 'get', name: 'p1' }],
  ['DELETE', '/api/v1/namespaces/default/pods?watch=1', { verb: 'deletecollection' }],
  // fieldSelector metadata.name pins the name of a list or watch.
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp1', { verb: 'list', name: 'p1' }],
  [
    'GET',
    '/api/v1/namespaces/default/pods?watch=1&fieldSelector=metadata.name%3D%3Dp1',
    { verb: 'watch', name: 'p1' },
  ],
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name!%3Dp1', { verb: 'list', name: '' }],
  [
    'GET',
    '/api/v1/namespaces/default/pods?fieldSelector=status.phase%3DRunning,metadata.name%3Dp2',
    { name: 'p2' },
  ],
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Db,metadata.name%3Da', { name: 'a' }],
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp1,bogus', { name: '' }],
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Da%25b', { name: '' }],
  ['GET', '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3D', { name: '' }],
  [
    'DELETE',
    '/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dp1',
    { verb: 'deletecollection', name: '' },
  ],
  // Legacy verb-in-path forms.
  ['GET', '/api/v1/watch/pods', { verb: 'watch', resource: 'pods', namespace: '' }],
  ['GET', '/api/v1/watch/namespaces/default/pods', { verb: 'watch', resource: 'pods', namespace: 'default' }],
  ['GET', '/api/v1/watch/namespaces/default/pods/p1', { verb: 'watch', resource: 'pods', name: 'p1' }],
  ['GET', '/api/v1/watch/namespaces', { verb: 'watch', resource: 'namespaces' }],
  [
    'GET',
    '/apis/apps/v1/watch/namespaces/prod/deployments',
    { verb: 'watch', apiGroup: 'apps', resource: 'deployments', namespace: 'prod' },
  ],
  ['GET', '/api/v1/proxy/nodes/n1/stats', { verb: 'proxy', resource: 'nodes', name: 'n1', subresource: '' }],
  [
    'GET',
    '/api/v1/proxy/namespaces/default/pods/p1/a/b',
    { verb: 'proxy', resource: 'pods', name: 'p1', namespace: 'default', subresource: '' },
  ],
  // Streaming subresources are create whatever the method.
  ['GET', '/api/v1/namespaces/default/pods/p1/exec?command=sh', { verb: 'create', subresource: 'exec' }],
  ['POST', '/api/v1/namespaces/default/pods/p1/exec', { verb: 'create', subresource: 'exec' }],
  ['GET', '/api/v1/namespaces/default/pods/p1/attach', { verb: 'create', subresource: 'attach' }],
  ['GET', '/api/v1/namespaces/default/pods/p1/portforward', { verb: 'create', subresource: 'portforward' }],
  // A single trailing slash is trimmed, as the apiserver's splitPath does.
  [
    'GET',
    '/api/v1/namespaces/default/pods/',
    { verb: 'list', resource: 'pods', path: '/api/v1/namespaces/default/pods/' },
  ],
  ['GET', '/api/v1/namespaces/default/pods/p1/', { verb: 'get', name: 'p1' }],
  ['GET', '/apis/', nonResource('get')],
  // Ordinary escapes are decoded.
  ['GET', '/api/v1/namespaces/default/configmaps/a%40b', { name: 'a@b' }],
];

describe('classifyRequest', () => {
  it.each(rows)('%s %s', (method, target, expected) => {
    expect(classify(method, target)).toMatchObject(expected);
  });

  it('accepts an already-parsed URLSearchParams', () => {
    const info = classifyRequest('GET', '/api/v1/pods', new URLSearchParams('watch=true'));
    expect(info.verb).toBe('watch');
  });
});

/** [method, raw path, raw query, expected status code]. */
const refusals: Array<[string, string, string, number]> = [
  ['GET', '/api/v1/namespaces/default/pods/a%2Fb', '', 400],
  ['GET', '/api/v1/namespaces/default/pods/a%2fb', '', 400],
  ['GET', '/api/v1/namespaces/%2E%2E/pods', '', 400],
  ['GET', '/api/v1/namespaces/default/pods/%2e', '', 400],
  ['GET', '/api/v1/namespaces/default/pods/a%5Cb', '', 400],
  ['GET', '/api/v1/namespaces/default/pods/a\\b', '', 400],
  ['GET', '/api/v1/namespaces/default/../kube-system/secrets', '', 400],
  ['GET', '/api/v1/namespaces/default/./pods', '', 400],
  ['GET', '/api/v1/namespaces/default/pods/..', '', 400],
  ['GET', '/api/v1/namespaces/default/pods/a..b', '', 400],
  ['GET', '/api/v1//pods', '', 400],
  ['GET', '//api/v1/pods', '', 400],
  ['GET', '/api/v1/pods//', '', 400],
  ['GET', '/api/v1/pods/%00', '', 400],
  ['GET', '/api/v1/pods/%0A', '', 400],
  ['GET', '/api/v1/pods/%C2%85', '', 400],
  ['GET', '/api/v1/pods/a%2', '', 400],
  ['GET', '/api/v1/pods/a%zz', '', 400],
  ['GET', '/api/v1/pods/%FF', '', 400],
  ['GET', '/api/v1/pods/%252F', '', 400],
  ['GET', '/api/v1/pods/a b', '', 400],
  ['GET', '/api/v1/pods/ä', '', 400],
  ['GET', 'api/v1/pods', '', 400],
  ['GET', '/api/v1/pods?watch=1', '', 400],
  ['GET', '/api/v1/pods#x', '', 400],
  ['GET', '/api/v1/watch', '', 400],
  ['GET', '/apis/apps/v1/proxy', '', 400],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=1;x=2', 400],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=%zz', 400],
  ['GET', '/api/v1/namespaces/default/pods', 'watch=%FF', 400],
  ['GET', '/api/v1/namespaces/default/pods', 'fieldSelector=metadata.name%3Da..b', 400],
  ['GET', '/api/v1/namespaces/default/pods', 'a=1&'.repeat(2000), 400],
  ['OPTIONS', '/api/v1/pods', '', 405],
  ['CONNECT', '/api/v1/pods', '', 405],
  ['get', '/api/v1/pods', '', 405],
  ['constructor', '/api/v1/pods', '', 405],
];

describe('classifyRequest refuses rather than guesses', () => {
  it.each(refusals)('%s %s ?%s → %i', (method, path, query, code) => {
    let error: unknown;
    try {
      classifyRequest(method, path, query);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(code);
    expect((error as StatusError).message).toMatch(/hoop-gateway/);
  });
});
