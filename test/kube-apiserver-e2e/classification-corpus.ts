/**
 * The request corpus for the differential classification test: what kubectl sends every day, and
 * the spellings an attacker would try to make the gateway and kube-apiserver read one request two
 * ways (encoded slashes and dots, double and trailing slashes, case, `;` parameters, odd `watch`
 * and `dryRun` values, fieldSelector names, subresources, proxy paths, legacy verb prefixes,
 * deletecollection, methods the API does not use).
 */

export interface CorpusRequest {
  method: string;
  /** Path relative to the cluster, sent exactly as written (still percent-encoded). */
  path: string;
  /** Raw query string without `?`. */
  query: string;
}

/** Resource paths kubectl and client-go use (core, named groups, cluster-scoped, subresources). */
const RESOURCE_PATHS = [
  '/api/v1/namespaces',
  '/api/v1/namespaces/default',
  '/api/v1/namespaces/default/status',
  '/api/v1/namespaces/default/finalize',
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces/default/pods/web-0',
  '/api/v1/namespaces/default/pods/web-0/log',
  '/api/v1/namespaces/default/pods/web-0/status',
  '/api/v1/namespaces/default/pods/web-0/exec',
  '/api/v1/namespaces/default/pods/web-0/attach',
  '/api/v1/namespaces/default/pods/web-0/portforward',
  '/api/v1/namespaces/default/pods/web-0/eviction',
  '/api/v1/namespaces/default/pods/web-0/binding',
  '/api/v1/namespaces/default/pods/web-0/ephemeralcontainers',
  '/api/v1/namespaces/default/pods/web-0/proxy',
  '/api/v1/namespaces/default/pods/web-0/proxy/metrics',
  '/api/v1/namespaces/default/pods/web-0:8080/proxy/a/b/c',
  '/api/v1/namespaces/default/services/https:web:443/proxy/',
  '/api/v1/namespaces/default/services/web/proxy/healthz',
  '/api/v1/namespaces/default/secrets',
  '/api/v1/namespaces/default/secrets/db-credentials',
  '/api/v1/namespaces/default/configmaps/kube-root-ca.crt',
  '/api/v1/namespaces/default/serviceaccounts/default/token',
  '/api/v1/namespaces/default/events',
  '/api/v1/pods',
  '/api/v1/secrets',
  '/api/v1/nodes',
  '/api/v1/nodes/node-1',
  '/api/v1/nodes/node-1/proxy',
  '/api/v1/nodes/node-1/proxy/configz',
  '/api/v1/nodes/node-1/status',
  '/api/v1/persistentvolumes/pv-1',
  '/apis/apps/v1/deployments',
  '/apis/apps/v1/namespaces/default/deployments',
  '/apis/apps/v1/namespaces/default/deployments/web',
  '/apis/apps/v1/namespaces/default/deployments/web/scale',
  '/apis/apps/v1/namespaces/default/deployments/web/status',
  '/apis/batch/v1/namespaces/default/jobs/nightly',
  '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin',
  '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings',
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
  '/apis/authentication.k8s.io/v1/selfsubjectreviews',
  '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
  '/apis/example.com/v1/namespaces/default/widgets/w-1',
  '/apis/example.com/v1/widgets',
  '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods',
  '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
];

/** Non-resource paths and short /api, /apis paths (classified as non-resource requests). */
const NON_RESOURCE_PATHS = [
  '/',
  '/api',
  '/api/v1',
  '/apis',
  '/apis/apps',
  '/apis/apps/v1',
  '/version',
  '/healthz',
  '/livez',
  '/readyz/etcd',
  '/openapi/v2',
  '/openapi/v3',
  '/openapi/v3/apis/apps/v1',
  '/metrics',
  '/logs/',
  '/.well-known/openid-configuration',
  '/openid/v1/jwks',
  '/apis/apps/v1/',
];

/** Legacy verb-in-path forms and other oddities of the path grammar. */
const ODD_PATHS = [
  '/api/v1/watch/pods',
  '/api/v1/watch/namespaces/default/pods',
  '/api/v1/watch/namespaces/default/pods/web-0',
  '/api/v1/watch/namespaces',
  '/api/v1/watch/namespaces/default',
  '/apis/apps/v1/watch/namespaces/default/deployments',
  '/apis/apps/v1/watch/deployments/web',
  '/api/v1/proxy/namespaces/default/pods/web-0',
  '/api/v1/proxy/namespaces/default/pods/web-0/a/b',
  '/api/v1/proxy/nodes/node-1/stats',
  '/api/v1/proxy/namespaces/default/services/web',
  '/api/v1/watch',
  '/api/v1/proxy',
  '/api/v1/namespaces/default/pods/web-0/exec/extra/segments',
  '/api/v1/namespaces/default/pods/web-0/log/extra',
  '/api/v1/namespaces/default/status/extra',
  '/api/v1/namespaces/default/finalize/extra',
  '/api/v1/namespaces/default/namespaces/other/pods',
  '/api/v1/namespaces/namespaces/pods',
  '/api/v1/namespaces/watch/pods',
  '/api/v1/namespaces/proxy/pods/p',
  '/api/v1/pods/watch',
  '/api/v1/pods/proxy/x',
  '/apis/watch/v1/pods',
  '/apis/proxy/v1/pods',
  '/apis/apps/watch/deployments',
  '/apis/namespaces/v1/namespaces/default/pods',
  '/apis/apps/v1/namespaces',
  '/apis/apps/v1/namespaces/default',
  // Case: kube-apiserver's request info is case-sensitive; so must the gateway's be.
  '/API/v1/pods',
  '/Api/v1/pods',
  '/api/V1/pods',
  '/api/v1/Pods',
  '/api/v1/NAMESPACES/default/pods',
  '/api/v1/namespaces/Default/pods',
  '/APIS/apps/v1/deployments',
  '/apis/Apps/v1/deployments',
  // Trailing and doubled slashes.
  '/api/v1/pods/',
  '/api/v1/namespaces/default/pods/',
  '/api/v1/namespaces/default/pods/web-0/',
  '/api/v1/pods//',
  '/api//v1/pods',
  '//api/v1/pods',
  '/api/v1//pods',
  '/api/v1/namespaces//pods',
  '/api/v1/namespaces/default//pods/web-0',
  '/apis/apps/v1/namespaces/default/deployments//scale',
  '/api/',
  '/apis/',
  // Percent-encoding: harmless letters, slashes, dots, percent, backslash, NUL, non-ASCII.
  '/api/v1/namespaces/%64efault/pods',
  '/api/v1/namespaces/default/%70ods/web-0',
  '/%61pi/v1/pods',
  '/api/%76%31/pods',
  '/apis/apps/v1/namespaces/default/deployments/web/%73cale',
  '/api/v1/namespaces/default/pods/a%2Fb',
  '/api/v1/namespaces/default/pods/a%2fb',
  '/api/v1/namespaces%2Fdefault/pods',
  '/api/v1/namespaces/default%2Fpods/web-0',
  '/api%2Fv1/pods',
  '/api/v1/namespaces/default/pods/%2E%2E',
  '/api/v1/namespaces/default/pods/%2e',
  '/api/v1/namespaces/default/pods/web%2E0',
  '/api/v1/namespaces/default/pods/web-0%2Fexec',
  '/api/v1/namespaces/default/pods/%252F',
  '/api/v1/namespaces/default/pods/%5C',
  '/api/v1/namespaces/default/pods/a%00b',
  '/api/v1/namespaces/default/pods/%C3%A9',
  '/api/v1/namespaces/default/pods/%FF',
  '/api/v1/namespaces/default/pods/%zz',
  '/api/v1/namespaces/default/pods/a%20b',
  // Dot segments.
  '/api/v1/namespaces/default/pods/..',
  '/api/v1/namespaces/default/pods/.',
  '/api/v1/namespaces/default/pods/../secrets',
  '/api/v1/namespaces/other/../default/pods',
  '/api/v1/./pods',
  '/api/v1/namespaces/default/pods/web..0',
  // `;` matrix parameters and other sub-delimiters (Go keeps them in the path).
  '/api/v1/pods;x=y',
  '/api/v1/namespaces/default/pods/web-0;exec',
  '/api/v1/namespaces/default;x/pods',
  '/api/v1/namespaces/default/pods/web-0/exec;x',
  "/api/v1/namespaces/default/configmaps/a!$&'()*+,=:@~_b",
  '/api/v1/namespaces/default/configmaps/:',
  '/api/v1/namespaces/default/configmaps/@',
];

/** Query strings for a list/watch path. */
const LIST_QUERIES = [
  '',
  'watch=true',
  'watch=1',
  'watch=0',
  'watch=false',
  'watch=False',
  'watch=FALSE',
  'watch=',
  'watch',
  'watch=yes',
  'watch=no',
  'watch=%66alse',
  'watch=fal%C5%BFe',
  'watch=FAL%C5%BFE',
  'watch=false&watch=true',
  'watch=true&watch=false',
  'watch=false+',
  'watch=+false',
  'watch=true;x',
  'x=1;watch=true',
  'Watch=true',
  'WATCH=1',
  'watch%3Dtrue',
  'w%61tch=true',
  'watch=true&resourceVersion=0&allowWatchBookmarks=true',
  'watch=1&timeoutSeconds=abc',
  'watch=fal%C5%BFe&limit=abc',
  'watch=0&limit=abc',
  'limit=500',
  'limit=abc',
  'limit=',
  'timeoutSeconds=1.5',
  'fieldSelector=metadata.name%3Dweb-0',
  'fieldSelector=metadata.name%3D%3Dweb-0',
  'fieldSelector=metadata.name!%3Dweb-0',
  'fieldSelector=metadata.name%3Dweb-0,metadata.namespace%3Ddefault',
  'fieldSelector=metadata.namespace%3Ddefault,metadata.name%3Dweb-0',
  'fieldSelector=metadata.name%3Da,metadata.name%3Db',
  'fieldSelector=metadata.name%3D',
  'fieldSelector=metadata.name%3D..',
  'fieldSelector=metadata.name%3Da%2Fb',
  'fieldSelector=metadata.name%3Da%25b',
  'fieldSelector=metadata.name%3Da%5C,b',
  'fieldSelector=spec.nodeName%3Dnode-1',
  'fieldSelector=metadata.name%3Dweb-0&fieldSelector=metadata.name%3Dother',
  'fieldSelector=metadata.name%3Dweb-0&limit=abc',
  'fieldSelector=metadata.name%3Dweb-0&timeoutSeconds=x',
  'fieldSelector=metadata.name%3Dweb-0&labelSelector=app%3Dweb',
  'fieldSelector=metadata.name%3Dweb-0&labelSelector=%21%21%21',
  'fieldSelector=metadata.name%3Dweb-0&labelSelector=app+in+(a,b)',
  'fieldSelector=metadata.name%3Dweb-0&watch=true',
  'fieldSelector=metadata.name%3Dweb-0&watch=true&labelSelector=%3D%3D',
  'fieldSelector=metadata.name%3Dweb-0;x',
  'labelSelector=app%3Dweb',
  'labelSelector=%21%21',
  'dryRun=All',
  'resourceVersion=abc',
  'resourceVersionMatch=NotOlderThan&resourceVersion=1',
  'sendInitialEvents=true&watch=true&resourceVersionMatch=NotOlderThan',
  'a=%zz',
  'a=%FF',
  '&&watch=true',
  'watch=true&',
];

/** Query strings for writes. */
const WRITE_QUERIES = [
  '',
  'dryRun=All',
  'dryRun=all',
  'dryRun=bogus',
  'dryRun=',
  'dryRun=All&dryRun=All',
  'dryRun=All;x',
  'fieldManager=kubectl&fieldValidation=Strict',
  'force=true',
  'watch=true',
  'fieldSelector=metadata.name%3Dother',
  'propagationPolicy=Foreground',
  'gracePeriodSeconds=abc',
];

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const UNUSUAL_METHODS = ['OPTIONS', 'PROPFIND', 'TRACE', 'LIST', 'WATCH', 'IMPERSONATE'];

/** The corpus, deduplicated, in a stable order. */
export function classificationCorpus(): CorpusRequest[] {
  const out: CorpusRequest[] = [];
  for (const path of RESOURCE_PATHS) for (const method of METHODS) out.push({ method, path, query: '' });
  for (const path of NON_RESOURCE_PATHS)
    for (const method of ['GET', 'HEAD', 'POST']) out.push({ method, path, query: '' });
  for (const path of ODD_PATHS) {
    out.push({ method: 'GET', path, query: '' });
    out.push({ method: 'DELETE', path, query: '' });
  }
  for (const path of ['/api/v1/namespaces/default/pods', '/apis/apps/v1/deployments', '/api/v1/watch/pods']) {
    for (const query of LIST_QUERIES) out.push({ method: 'GET', path, query });
  }
  for (const query of LIST_QUERIES.slice(0, 20)) {
    out.push({ method: 'DELETE', path: '/api/v1/namespaces/default/configmaps', query });
  }
  for (const query of WRITE_QUERIES) {
    out.push({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', query });
    out.push({ method: 'PATCH', path: '/api/v1/namespaces/default/configmaps/c-1', query });
    out.push({ method: 'DELETE', path: '/api/v1/namespaces/default/configmaps/c-1', query });
  }
  for (const method of UNUSUAL_METHODS) {
    out.push({ method, path: '/api/v1/namespaces/default/pods', query: '' });
  }
  const seen = new Set<string>();
  return out.filter((r) => {
    const key = `${r.method} ${r.path}?${r.query}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
