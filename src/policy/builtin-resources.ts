/**
 * The resources Kubernetes itself serves (no aggregated APIs, no CRDs), per API group, as of
 * 1.33, alpha and beta groups included: what `policy check` can hold a `resources:` entry against.
 *
 * Only a policy author's aid: nothing in request handling reads this table, so a resource added
 * in a later Kubernetes release at worst draws a warning, never a refusal. It keeps the plural
 * (what RBAC and the policy match), the Kind (whose lowercase is the singular name) and the
 * common short names, the three spellings people write when they mean the plural.
 */

export interface BuiltinResource {
  /** Plural, lowercase: the name a policy matches. */
  resource: string;
  kind: string;
  shortNames: readonly string[];
}

const r = (resource: string, kind: string, ...shortNames: string[]): BuiltinResource => ({
  resource,
  kind,
  shortNames,
});

/** Built-in API group (`""` is the core group) → its resources. */
export const BUILTIN_RESOURCES: ReadonlyMap<string, readonly BuiltinResource[]> = new Map([
  [
    '',
    [
      r('bindings', 'Binding'),
      r('componentstatuses', 'ComponentStatus', 'cs'),
      r('configmaps', 'ConfigMap', 'cm'),
      r('endpoints', 'Endpoints', 'ep'),
      r('events', 'Event', 'ev'),
      r('limitranges', 'LimitRange', 'limits'),
      r('namespaces', 'Namespace', 'ns'),
      r('nodes', 'Node', 'no'),
      r('persistentvolumeclaims', 'PersistentVolumeClaim', 'pvc'),
      r('persistentvolumes', 'PersistentVolume', 'pv'),
      r('pods', 'Pod', 'po'),
      r('podtemplates', 'PodTemplate'),
      r('replicationcontrollers', 'ReplicationController', 'rc'),
      r('resourcequotas', 'ResourceQuota', 'quota'),
      r('secrets', 'Secret'),
      r('serviceaccounts', 'ServiceAccount', 'sa'),
      r('services', 'Service', 'svc'),
    ],
  ],
  [
    'admissionregistration.k8s.io',
    [
      r('mutatingadmissionpolicies', 'MutatingAdmissionPolicy'),
      r('mutatingadmissionpolicybindings', 'MutatingAdmissionPolicyBinding'),
      r('mutatingwebhookconfigurations', 'MutatingWebhookConfiguration'),
      r('validatingadmissionpolicies', 'ValidatingAdmissionPolicy'),
      r('validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding'),
      r('validatingwebhookconfigurations', 'ValidatingWebhookConfiguration'),
    ],
  ],
  ['apiextensions.k8s.io', [r('customresourcedefinitions', 'CustomResourceDefinition', 'crd', 'crds')]],
  ['apiregistration.k8s.io', [r('apiservices', 'APIService')]],
  [
    'apps',
    [
      r('controllerrevisions', 'ControllerRevision'),
      r('daemonsets', 'DaemonSet', 'ds'),
      r('deployments', 'Deployment', 'deploy'),
      r('replicasets', 'ReplicaSet', 'rs'),
      r('statefulsets', 'StatefulSet', 'sts'),
    ],
  ],
  ['authentication.k8s.io', [r('selfsubjectreviews', 'SelfSubjectReview'), r('tokenreviews', 'TokenReview')]],
  [
    'authorization.k8s.io',
    [
      r('localsubjectaccessreviews', 'LocalSubjectAccessReview'),
      r('selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
      r('selfsubjectrulesreviews', 'SelfSubjectRulesReview'),
      r('subjectaccessreviews', 'SubjectAccessReview'),
    ],
  ],
  ['autoscaling', [r('horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'hpa')]],
  ['batch', [r('cronjobs', 'CronJob', 'cj'), r('jobs', 'Job')]],
  [
    'certificates.k8s.io',
    [
      r('certificatesigningrequests', 'CertificateSigningRequest', 'csr'),
      r('clustertrustbundles', 'ClusterTrustBundle'),
    ],
  ],
  ['coordination.k8s.io', [r('leasecandidates', 'LeaseCandidate'), r('leases', 'Lease')]],
  ['discovery.k8s.io', [r('endpointslices', 'EndpointSlice')]],
  ['events.k8s.io', [r('events', 'Event', 'ev')]],
  [
    'flowcontrol.apiserver.k8s.io',
    [r('flowschemas', 'FlowSchema'), r('prioritylevelconfigurations', 'PriorityLevelConfiguration')],
  ],
  ['internal.apiserver.k8s.io', [r('storageversions', 'StorageVersion')]],
  [
    'networking.k8s.io',
    [
      r('ingressclasses', 'IngressClass'),
      r('ingresses', 'Ingress', 'ing'),
      r('ipaddresses', 'IPAddress', 'ip'),
      r('networkpolicies', 'NetworkPolicy', 'netpol'),
      r('servicecidrs', 'ServiceCIDR'),
    ],
  ],
  ['node.k8s.io', [r('runtimeclasses', 'RuntimeClass')]],
  ['policy', [r('poddisruptionbudgets', 'PodDisruptionBudget', 'pdb')]],
  [
    'rbac.authorization.k8s.io',
    [
      r('clusterrolebindings', 'ClusterRoleBinding'),
      r('clusterroles', 'ClusterRole'),
      r('rolebindings', 'RoleBinding'),
      r('roles', 'Role'),
    ],
  ],
  [
    'resource.k8s.io',
    [
      r('deviceclasses', 'DeviceClass'),
      r('resourceclaims', 'ResourceClaim'),
      r('resourceclaimtemplates', 'ResourceClaimTemplate'),
      r('resourceslices', 'ResourceSlice'),
    ],
  ],
  ['scheduling.k8s.io', [r('priorityclasses', 'PriorityClass', 'pc')]],
  [
    'storage.k8s.io',
    [
      r('csidrivers', 'CSIDriver'),
      r('csinodes', 'CSINode'),
      r('csistoragecapacities', 'CSIStorageCapacity'),
      r('storageclasses', 'StorageClass', 'sc'),
      r('volumeattachments', 'VolumeAttachment'),
      r('volumeattributesclasses', 'VolumeAttributesClass', 'vac'),
    ],
  ],
  ['storagemigration.k8s.io', [r('storageversionmigrations', 'StorageVersionMigration')]],
]);

/** Where a built-in resource lives: its plural and API group. */
export interface BuiltinResourceRef {
  resource: string;
  group: string;
}

/** Every built-in resource named `plural`, in table order (`events` lives in two groups). */
export function builtinGroupsOf(plural: string): string[] {
  return [...BUILTIN_RESOURCES].filter(([, list]) => list.some((r) => r.resource === plural)).map(([g]) => g);
}

/**
 * The built-in resources `word` names by another spelling: its Kind (`Namespace`), singular
 * (`namespace`), a short name (`ns`) or the plural in other case (`Pods`), compared without case.
 * Empty when it names none.
 */
export function builtinPluralsFor(word: string): BuiltinResourceRef[] {
  const lower = word.toLowerCase();
  const found: BuiltinResourceRef[] = [];
  for (const [group, list] of BUILTIN_RESOURCES) {
    for (const entry of list) {
      const named =
        entry.kind.toLowerCase() === lower ||
        entry.shortNames.includes(lower) ||
        (entry.resource === lower && word !== lower);
      if (named) {
        found.push({ resource: entry.resource, group });
      }
    }
  }
  return found;
}
