/**
 * The one table of built-in Kubernetes resources the project knows by kind: which Kind a plural
 * resource in an API group is. Masking plans with it, the recorder decides what it may store with
 * it, review summaries mask with it, and the sandbox cluster serves these kinds.
 *
 * Group-aware on purpose: `secrets` in the core group ("") is a Secret, but a CRD that happens to
 * be called `secrets` in another group is not, and treating it as one would mask (or refuse) the
 * wrong bodies. The one reading by plural alone, {@link valueKindOfPlural}, exists for review
 * summaries, where masking a look-alike CRD too costs nothing.
 */

/** One built-in resource: group ("" for core), plural, Kind, and whether its objects hold values. */
export interface BuiltinResource {
  readonly group: string;
  readonly resource: string;
  readonly kind: string;
  /**
   * Objects of this kind can hold secret values — Secret and ConfigMap data, literal env values
   * in a Pod or any kind with a pod template — so their bodies are masked.
   */
  readonly holdsValues: boolean;
}

const held = (group: string, resource: string, kind: string): BuiltinResource => ({
  group,
  resource,
  kind,
  holdsValues: true,
});
const plain = (group: string, resource: string, kind: string): BuiltinResource => ({
  group,
  resource,
  kind,
  holdsValues: false,
});

export const BUILTIN_RESOURCES: readonly BuiltinResource[] = [
  held('', 'secrets', 'Secret'),
  held('', 'configmaps', 'ConfigMap'),
  held('', 'pods', 'Pod'),
  held('', 'podtemplates', 'PodTemplate'),
  held('', 'replicationcontrollers', 'ReplicationController'),
  held('apps', 'deployments', 'Deployment'),
  held('apps', 'replicasets', 'ReplicaSet'),
  held('apps', 'statefulsets', 'StatefulSet'),
  held('apps', 'daemonsets', 'DaemonSet'),
  held('extensions', 'deployments', 'Deployment'),
  held('extensions', 'replicasets', 'ReplicaSet'),
  held('extensions', 'daemonsets', 'DaemonSet'),
  held('batch', 'jobs', 'Job'),
  held('batch', 'cronjobs', 'CronJob'),
  plain('', 'events', 'Event'),
  plain('', 'namespaces', 'Namespace'),
  plain('', 'serviceaccounts', 'ServiceAccount'),
  plain('', 'services', 'Service'),
  plain('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'),
  plain('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
  plain('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview'),
];

const BY_GROUP = new Map(BUILTIN_RESOURCES.map((r) => [`${r.group}/${r.resource}`, r]));
const VALUES_BY_PLURAL = new Map(
  BUILTIN_RESOURCES.filter((r) => r.holdsValues).map((r) => [r.resource, r.kind]),
);

/** The Kind of `resource` in API group `group` ("" for core); undefined for anything not built in. */
export function kindOf(group: string, resource: string): string | undefined {
  return BY_GROUP.get(`${group}/${resource}`)?.kind;
}

/** Like {@link kindOf}, but only for kinds whose objects can hold values. */
export function valueKind(group: string, resource: string): string | undefined {
  const found = BY_GROUP.get(`${group}/${resource}`);
  return found?.holdsValues ? found.kind : undefined;
}

/**
 * The value-holding Kind of `resource` in whichever group: the deliberately loose reading for
 * masking what only people read (a CRD named `deployments` is masked as a Deployment).
 */
export function valueKindOfPlural(resource: string): string | undefined {
  return VALUES_BY_PLURAL.get(resource);
}
