import { kindOf } from '../../../src/request/resource-kinds.ts';

/**
 * The resource types the sandbox cluster serves, described once and used by discovery, routing,
 * the store and the table printer. Field names follow metav1.APIResource so discovery can hand
 * them out almost verbatim. Each type's Kind comes from the gateway's own resource table
 * (src/request/resource-kinds.ts), so the sandbox and the gateway cannot disagree on one.
 */

/** One served resource type (a REST collection), as discovery describes it. */
export interface ResourceType {
  group: string;
  version: string;
  /** Plural, lowercase: the path segment (`pods`). */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** Subresources served under `<resource>/<name>/<sub>`, with the verbs discovery lists. */
  subresources: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }>;
  categories: string[];
  /** True when writes to the main resource keep the stored `status` (a status subresource exists). */
  hasStatus: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CLUSTER_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = { kind: '', verbs: ['get', 'patch', 'update'] };

/** The Kind of a built-in resource; every type served here must be in the shared table. */
function builtinKind(group: string, resource: string): string {
  const kind = kindOf(group, resource);
  if (!kind) throw new Error(`no built-in kind for ${group}/${resource}`);
  return kind;
}

/** A namespaced type in `group`/v1 with every verb, unless `extra` says otherwise. */
function served(
  group: string,
  resource: string,
  extra: Partial<ResourceType> & Pick<ResourceType, 'shortNames'>,
): ResourceType {
  const kind = builtinKind(group, resource);
  return {
    group,
    version: 'v1',
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced: true,
    verbs: ALL_VERBS,
    subresources: {},
    categories: [],
    hasStatus: false,
    ...extra,
  };
}

const core = (resource: string, extra: Partial<ResourceType> & Pick<ResourceType, 'shortNames'>) =>
  served('', resource, extra);

/** A create-only review type: answered from the request, never stored (handlers/reviews.ts). */
function review(group: string, resource: string): ResourceType {
  return served(group, resource, { namespaced: false, shortNames: [], verbs: ['create'] });
}

/** Every served type, core group first (discovery order is the order kubectl prints). */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  core('configmaps', { shortNames: ['cm'] }),
  core('events', { shortNames: ['ev'] }),
  core('namespaces', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: CLUSTER_VERBS,
    subresources: { status: { ...STATUS, kind: 'Namespace' } },
    hasStatus: true,
  }),
  core('pods', {
    shortNames: ['po'],
    categories: ['all'],
    hasStatus: true,
    subresources: {
      attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
      log: { kind: 'Pod', verbs: ['get'] },
      portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      status: { ...STATUS, kind: 'Pod' },
    },
  }),
  core('secrets', { shortNames: [] }),
  core('serviceaccounts', { shortNames: ['sa'] }),
  core('services', {
    shortNames: ['svc'],
    categories: ['all'],
    hasStatus: true,
    verbs: CLUSTER_VERBS,
    subresources: { status: { ...STATUS, kind: 'Service' } },
  }),
  served('apps', 'deployments', {
    shortNames: ['deploy'],
    subresources: {
      scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
      status: { ...STATUS, kind: 'Deployment' },
    },
    categories: ['all'],
    hasStatus: true,
  }),
  served('apps', 'replicasets', {
    shortNames: ['rs'],
    subresources: { status: { ...STATUS, kind: 'ReplicaSet' } },
    categories: ['all'],
    hasStatus: true,
  }),
  review('authentication.k8s.io', 'selfsubjectreviews'),
  review('authorization.k8s.io', 'selfsubjectaccessreviews'),
  review('authorization.k8s.io', 'selfsubjectrulesreviews'),
];

/** `v1` for the core group, `apps/v1` otherwise: the apiVersion objects of this type carry. */
export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The served type at `group`/`version`/`resource`, or undefined (the caller answers 404). */
export function findResourceType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The served type whose kind is `kind` in `apiVersion`. */
export function findResourceTypeByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

/** Looks a type up by plural resource name alone (groups do not overlap here). */
export function resourceTypeNamed(resource: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.resource === resource);
  if (!type) throw new Error(`sandbox serves no resource named ${resource}`);
  return type;
}

/** The API groups served under `/apis` (everything but the core group), in discovery order. */
export function servedGroups(): Array<{ group: string; versions: string[] }> {
  const groups = new Map<string, Set<string>>();
  for (const t of RESOURCE_TYPES) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? new Set<string>();
    versions.add(t.version);
    groups.set(t.group, versions);
  }
  return [...groups].map(([group, versions]) => ({ group, versions: [...versions] }));
}
