/**
 * The resource types the sandbox cluster serves, described once and used by discovery, routing,
 * the store and the table printer. Field names follow metav1.APIResource so discovery can hand
 * them out almost verbatim.
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

function core(
  resource: string,
  kind: string,
  extra: Partial<ResourceType> & Pick<ResourceType, 'shortNames'>,
): ResourceType {
  return {
    group: '',
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

/** A create-only review type: answered from the request, never stored (handlers/reviews.ts). */
function review(group: string, resource: string, kind: string): ResourceType {
  return {
    group,
    version: 'v1',
    resource,
    singular: kind.toLowerCase(),
    kind,
    namespaced: false,
    shortNames: [],
    verbs: ['create'],
    subresources: {},
    categories: [],
    hasStatus: false,
  };
}

/** Every served type, core group first (discovery order is the order kubectl prints). */
export const RESOURCE_TYPES: readonly ResourceType[] = [
  core('configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  core('events', 'Event', { shortNames: ['ev'] }),
  core('namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: CLUSTER_VERBS,
    subresources: { status: { ...STATUS, kind: 'Namespace' } },
    hasStatus: true,
  }),
  core('pods', 'Pod', {
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
  core('secrets', 'Secret', { shortNames: [] }),
  core('serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  core('services', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
    hasStatus: true,
    verbs: CLUSTER_VERBS,
    subresources: { status: { ...STATUS, kind: 'Service' } },
  }),
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    verbs: ALL_VERBS,
    subresources: {
      scale: { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
      status: { ...STATUS, kind: 'Deployment' },
    },
    categories: ['all'],
    hasStatus: true,
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    namespaced: true,
    shortNames: ['rs'],
    verbs: ALL_VERBS,
    subresources: { status: { ...STATUS, kind: 'ReplicaSet' } },
    categories: ['all'],
    hasStatus: true,
  },
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'),
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
  review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview'),
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
