/**
 * The namespaced kinds a namespace delete preview lists, as the agent: the common built-in ones,
 * a fixed list rather than discovery (one round trip fewer, and a preview is a hint, not an
 * inventory — custom resources in the namespace are not counted, and docs/approvals.md says so).
 * A kind the cluster does not serve (404) is skipped silently.
 */
export interface ListedKind {
  group: string;
  version: string;
  resource: string;
  kind: string;
}

const k = (group: string, version: string, resource: string, kind: string): ListedKind => ({
  group,
  version,
  resource,
  kind,
});

export const NAMESPACED_KINDS: readonly ListedKind[] = [
  k('', 'v1', 'pods', 'Pod'),
  k('', 'v1', 'services', 'Service'),
  k('', 'v1', 'configmaps', 'ConfigMap'),
  k('', 'v1', 'secrets', 'Secret'),
  k('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  k('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim'),
  k('', 'v1', 'replicationcontrollers', 'ReplicationController'),
  k('apps', 'v1', 'deployments', 'Deployment'),
  k('apps', 'v1', 'replicasets', 'ReplicaSet'),
  k('apps', 'v1', 'statefulsets', 'StatefulSet'),
  k('apps', 'v1', 'daemonsets', 'DaemonSet'),
  k('batch', 'v1', 'jobs', 'Job'),
  k('batch', 'v1', 'cronjobs', 'CronJob'),
  k('networking.k8s.io', 'v1', 'ingresses', 'Ingress'),
  k('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy'),
  k('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
  k('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  k('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
  k('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler'),
];

/** The collection path of `kind` in `namespace`, percent-encoded. */
export function collectionPath(
  kind: Pick<ListedKind, 'group' | 'version' | 'resource'>,
  namespace: string,
): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.resource}`;
}

/** The listed kind for a resource, when it is one of them. */
export function listedKind(group: string, resource: string): ListedKind | undefined {
  return NAMESPACED_KINDS.find((kind) => kind.group === group && kind.resource === resource);
}
