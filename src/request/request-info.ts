import { StatusError } from '../errors.ts';
import { listOptionsDecode, watchWhenDecodingFails } from './list-options.ts';
import { splitRequestPath } from './path-segments.ts';
import { checkShapeFlags, fieldSelectorName, goQueryBool, parseQuery } from './query.ts';
import type { RequestInfo } from './request-info.types.ts';

/**
 * Request classification exactly as kube-apiserver computes it (`RequestInfoFactory.NewRequestInfo`
 * in staging/src/k8s.io/apiserver/pkg/endpoints/request/requestinfo.go), so the policy judges the
 * same verb, resource, namespace and name that cluster RBAC and audit will see.
 *
 * Resource paths (`api` has group "", `apis` is followed by a group):
 *   /api/{version}/{resource}                                  list | watch | create | deletecollection
 *   /api/{version}/{resource}/{name}                           get | update | patch | delete
 *   /api/{version}/{resource}/{name}/{subresource}[/...]       e.g. pods/exec, pods/log, nodes/proxy
 *   /api/{version}/namespaces/{ns}                             resource namespaces, name ns, namespace ns
 *   /api/{version}/namespaces/{ns}/status|finalize             subresource of that namespace object
 *   /api/{version}/namespaces/{ns}/{resource}[/{name}[/{sub}]] namespace ns, re-based onto {resource}
 *   /apis/{group}/{version}/... the same shapes
 * Legacy verb-in-path forms (the segment after the version is the verb):
 *   /api/{version}/watch/[namespaces/{ns}/]{resource}[/{name}]            verb watch
 *   /api/{version}/proxy/[namespaces/{ns}/]{resource}/{name}[/{path...}]  verb proxy, never a subresource
 * Non-resource paths (verb = lowercase method): fewer than 3 segments (`/`, `/api`, `/api/v1`,
 * `/apis`, `/apis/apps`, `/healthz`, `/version`), an unknown first segment (`/openapi/v2`,
 * `/livez/etcd`), and `/apis/{group}/{version}` (fewer than 4 segments under `apis`).
 *
 * Verbs: POST create, GET/HEAD get, PUT update, PATCH patch, DELETE delete. A get without a name
 * is `list`, or `watch` when the first `watch` value is true (`strconv.ParseBool` spellings only;
 * any other spelling of `watch`, `allowWatchBookmarks`, `sendInitialEvents` or `follow` is a 400,
 * query.ts); a list or watch
 * whose `fieldSelector` pins `metadata.name=<n>` gets that name (as RBAC `resourceNames` sees it);
 * a delete without a name is `deletecollection`. When the list options in the query do not decode
 * (a `limit` that is not a number, a selector that does not parse), kube-apiserver pins no name and
 * reads `watch` with `strings.ToLower`; so does the gateway (list-options.ts).
 *
 * Where this deliberately differs from kube-apiserver (each a refusal or the stricter reading):
 * - The streaming subresources `exec`, `attach` and `portforward` are `create` whatever the method
 *   (WebSocket uses GET, SPDY POST). Upstream's request info says `get` for the WebSocket GET;
 *   the apiserver then adds a synthetic `create` check (feature gate
 *   AuthorizePodWebsocketUpgradeCreatePermission, on by default since 1.35). `create pods/exec` is
 *   what RBAC has always meant by "may exec", so the policy sees that for both transports.
 * - Methods other than GET HEAD POST PUT PATCH DELETE are refused with 405 (upstream: empty verb).
 * - `/api/v1/watch` and `/api/v1/proxy` with nothing after the verb are refused with 400 (upstream
 *   returns an error as well).
 * - Ambiguous paths and queries are refused with 400: see path-segments.ts and query.ts.
 */

const VERB_BY_METHOD = new Map([
  ['POST', 'create'],
  ['GET', 'get'],
  ['HEAD', 'get'],
  ['PUT', 'update'],
  ['PATCH', 'patch'],
  ['DELETE', 'delete'],
]);
const STREAMING_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** `path.IsValidPathSegmentName`: the apiserver ignores a fieldSelector name that fails it. */
function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/**
 * Classifies a request. `rawPath` is the still-percent-encoded path relative to the cluster (no
 * `/clusters/<name>` prefix, no query). `query` is the raw query string (preferred: parsed with
 * Go's rules, refusing what Go would read differently) or an already-parsed `URLSearchParams`.
 *
 * Throws a {@link StatusError}: 400 for a path or query the cluster could read differently, 405 for
 * an unknown method. Never guesses.
 */
export function classifyRequest(
  method: string,
  rawPath: string,
  query: URLSearchParams | string,
): RequestInfo {
  const resourceVerb = VERB_BY_METHOD.get(method);
  if (resourceVerb === undefined) {
    throw new StatusError(
      405,
      'MethodNotAllowed',
      `hoop-gateway does not forward HTTP method ${JSON.stringify(method.slice(0, 20))}: the Kubernetes ` +
        'API uses GET, HEAD, POST, PUT, PATCH and DELETE.',
    );
  }
  const { segments, decodedPath } = splitRequestPath(rawPath);
  const params =
    typeof query === 'string' ? parseQuery(query.startsWith('?') ? query.slice(1) : query) : query;
  const info: RequestInfo = {
    isResourceRequest: false,
    path: decodedPath,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
  };

  const prefix = segments[0];
  if (segments.length < 3 || (prefix !== 'api' && prefix !== 'apis')) return info;
  let rest = segments.slice(1);
  if (prefix === 'apis') {
    if (rest.length < 3) return info;
    info.apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  info.apiPrefix = prefix;
  info.isResourceRequest = true;
  checkShapeFlags(params);
  info.apiVersion = rest[0]!;
  rest = rest.slice(1);

  const first = rest[0]!;
  if (first === 'watch' || first === 'proxy') {
    if (rest.length < 2) {
      throw new StatusError(
        400,
        'BadRequest',
        `hoop-gateway cannot tell the resource and namespace of ${JSON.stringify(decodedPath)}: the ` +
          `legacy "${first}" prefix must be followed by a resource.`,
      );
    }
    info.verb = first;
    rest = rest.slice(1);
  } else {
    info.verb = resourceVerb;
  }

  if (rest[0] === 'namespaces' && rest.length > 1) {
    info.namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  info.parts = rest;
  info.resource = rest[0] ?? '';
  if (rest.length >= 2) info.name = rest[1]!;
  if (rest.length >= 3 && info.verb !== 'proxy') info.subresource = rest[2]!;

  if (info.name === '' && info.verb === 'get') {
    const selector = params.get('fieldSelector');
    const pinned = selector === null ? undefined : fieldSelectorName(selector);
    const name = pinned && isValidPathSegmentName(pinned) ? pinned : '';
    // requestinfo.go decodes the query into ListOptions; when that fails it pins no name and
    // reads `watch` another way (list-options.ts). Where the gateway cannot tell whether it
    // fails and the answer would change the reading, it refuses.
    const decodes = listOptionsDecode(params);
    const watchDecoded = goQueryBool(params, 'watch');
    const watchUndecoded = watchWhenDecodingFails(params);
    if (decodes === 'unknown' && (name !== '' || watchDecoded !== watchUndecoded)) {
      throw new StatusError(
        400,
        'BadRequest',
        'hoop-gateway cannot tell how the cluster reads this list or watch: its labelSelector ' +
          `${JSON.stringify((params.get('labelSelector') ?? '').slice(0, 200))} is not in the plain form ` +
          'the gateway checks (k=v, k!=v, k, !k, k in (a,b), k notin (a,b), comma-separated, no ' +
          'spaces), and with a fieldSelector on metadata.name or an unusual watch value the ' +
          'answer depends on it. Write the label selector in that form.',
      );
    }
    if (decodes === 'no') {
      info.verb = watchUndecoded ? 'watch' : 'list';
    } else {
      info.verb = watchDecoded ? 'watch' : 'list';
      if (name !== '') info.name = checkedName(name);
    }
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  if (STREAMING_SUBRESOURCES.has(info.subresource)) info.verb = 'create';
  return info;
}

/**
 * A fieldSelector name passes the same checks as a path segment (no `..`, no control characters,
 * no `\`), so a name never means one thing to the policy and another to the cluster.
 */
function checkedName(name: string): string {
  if (name.includes('..') || name.includes('\\') || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
    throw new StatusError(
      400,
      'BadRequest',
      `hoop-gateway refused fieldSelector metadata.name=${JSON.stringify(name.slice(0, 200))}: names ` +
        'with "..", "\\" or control characters are not valid Kubernetes names.',
    );
  }
  return name;
}
