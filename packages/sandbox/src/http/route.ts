/**
 * Maps a request path and method to what the sandbox must do, with kube-apiserver's request-info
 * rules (the same rules as the gateway's src/request/request-info.ts): `/api/v1/...` and `/apis/<group>/<version>/...`,
 * `namespaces/<ns>/<rest>` re-based onto `<rest>` (except the namespace's own `status` and
 * `finalize`), a third segment is a subresource, and GET without a name is list (or watch).
 */
import { StatusError } from '../../../../src/errors.ts';
import { findResourceType, type ResourceType } from '../resources.ts';

export type ResourceVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

export interface ResourceRoute {
  kind: 'resource';
  type: ResourceType;
  /** '' for cluster-scoped types and for lists across all namespaces. */
  namespace: string;
  name: string;
  subresource: string;
  verb: ResourceVerb;
}

export interface OtherRoute {
  kind: 'other';
  path: string;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {
    details: {},
  });
}

function isWatch(query: URLSearchParams): boolean {
  const watch = query.get('watch');
  return watch !== null && watch !== 'false' && watch !== '0';
}

function verbOf(method: string, name: string, query: URLSearchParams): ResourceVerb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return name ? 'get' : isWatch(query) ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      throw new StatusError(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
  }
}

/**
 * Classifies `path`. Resource paths of unknown types throw NotFound; everything that is not a
 * resource path (discovery, /version, /healthz, /openapi) is returned as `other`.
 */
export function routeRequest(
  method: string,
  path: string,
  query: URLSearchParams,
): ResourceRoute | OtherRoute {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const segments = trimmed === '/' ? [] : trimmed.split('/').slice(1);
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw notFoundPath();
  let group: string;
  let version: string;
  let parts: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] ?? '';
    parts = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    parts = segments.slice(3);
  } else {
    return { kind: 'other', path: `/${segments.join('/')}` };
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2] ?? '')) {
    namespace = parts[1] ?? '';
    parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = '', ...extra] = parts;
  const type = findResourceType(group, version, resource);
  if (!type || extra.length > 0) throw notFoundPath();
  if (subresource && !(subresource in type.subresources)) throw notFoundPath();
  if (type.resource === 'namespaces') namespace = '';
  else if (type.namespaced && name && !namespace) throw notFoundPath();
  else if (!type.namespaced && namespace) throw notFoundPath();
  return { kind: 'resource', type, namespace, name, subresource, verb: verbOf(method, name, query) };
}
