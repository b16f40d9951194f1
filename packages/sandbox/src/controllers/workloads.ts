/**
 * The deployment and replica-set controllers, reduced to what makes a sandbox cluster look alive:
 * a Deployment owns one ReplicaSet per pod-template hash (`web-6d4cf56db6`), the current one
 * scaled to spec.replicas and older ones to 0; a ReplicaSet owns that many Pods (`web-6d4cf56db6-x2k9p`),
 * which start Running and Ready at once. Statuses are written back so `kubectl get deploy`,
 * `rollout status` and `scale` behave. Deleting an owner deletes what it owns.
 *
 * Reconcilers read the store fresh and write only on a difference, so the events they cause
 * settle instead of looping.
 */
import { createHash } from 'node:crypto';
import { prepareCreate, randomSuffix } from '../objects/admit.ts';
import { clone, isRecord, type KubeObject, labelsOf, metaOf, recordAt } from '../objects/meta.ts';
import { resourceTypeNamed } from '../resources.ts';
import type { ObjectStore } from '../store/object-store.ts';

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const REVISION = 'deployment.kubernetes.io/revision';

/**
 * `value` with object keys sorted and null fields dropped at every level, so templates that are
 * equal as Go structs (kubectl sends `creationTimestamp: null` back on rollout undo) hash equally.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .filter((k) => value[k] !== null)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

/** A stable 10-character hash of a pod template (key order ignored), as the pod-template-hash label. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(canonical(template)))
    .digest();
  return [...digest.subarray(0, 10)].map((b) => HASH_ALPHABET[b % HASH_ALPHABET.length]).join('');
}

const num = (value: unknown, fallback = 0): number => (typeof value === 'number' ? value : fallback);

export function ownedBy(object: KubeObject, uid: string | undefined): boolean {
  return (metaOf(object).ownerReferences ?? []).some((r) => r.uid === uid && r.controller === true);
}

/** The name of the controller owner of `kind`, if any. */
export function ownerName(object: KubeObject, kind: string): string | undefined {
  return (metaOf(object).ownerReferences ?? []).find((r) => r.kind === kind && r.controller)?.name;
}

function ownerReference(
  owner: KubeObject,
): NonNullable<ReturnType<typeof metaOf>['ownerReferences']>[number] {
  const meta = metaOf(owner);
  return {
    apiVersion: String(owner['apiVersion']),
    kind: String(owner['kind']),
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    controller: true,
  };
}

/** Writes `status` when it differs from the stored one (condition timestamps aside). */
function writeStatus(
  store: ObjectStore,
  resource: string,
  object: KubeObject,
  status: Record<string, unknown>,
): void {
  const strip = (s: unknown): string =>
    JSON.stringify(s, (k, v) => (k === 'lastUpdateTime' || k === 'lastTransitionTime' ? undefined : v));
  if (strip(object['status']) === strip(status)) return;
  store.replace(resource, { ...object, status });
}

function condition(type: string, reason: string, message: string): Record<string, unknown> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type, status: 'True', lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export function reconcileReplicaSet(store: ObjectStore, namespace: string, name: string): void {
  const rs = store.get('replicasets', namespace, name);
  if (!rs) return;
  const uid = metaOf(rs).uid;
  const desired = num(recordAt(rs, 'spec')?.['replicas'], 1);
  const pods = store.list('pods', namespace).filter((p) => ownedBy(p, uid));
  for (let i = pods.length; i < desired; i++) {
    const template = clone(recordAt(rs, 'spec', 'template') ?? {});
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...(template['metadata'] as object),
        name: `${name}-${randomSuffix()}`,
        ownerReferences: [ownerReference(rs)],
      },
      spec: template['spec'],
    };
    pods.push(store.create('pods', prepareCreate(resourceTypeNamed('pods'), namespace, pod)));
  }
  const extra = pods.splice(desired).reverse();
  for (const pod of extra) store.delete('pods', namespace, metaOf(pod).name ?? '');
  const ready = pods.length;
  const status = {
    replicas: pods.length,
    fullyLabeledReplicas: pods.length,
    readyReplicas: ready,
    availableReplicas: ready,
    observedGeneration: metaOf(rs).generation ?? 1,
  };
  writeStatus(store, 'replicasets', store.get('replicasets', namespace, name) ?? rs, status);
}

function createReplicaSet(
  store: ObjectStore,
  deployment: KubeObject,
  hash: string,
  revision: number,
  replicas: number,
): void {
  const meta = metaOf(deployment);
  const template = clone(recordAt(deployment, 'spec', 'template') ?? {});
  const labels = { ...(recordAt(template, 'metadata', 'labels') ?? {}), 'pod-template-hash': hash };
  template['metadata'] = { ...(recordAt(template, 'metadata') ?? {}), labels };
  const selector = clone(recordAt(deployment, 'spec', 'selector') ?? {});
  selector['matchLabels'] = { ...(recordAt(selector, 'matchLabels') ?? {}), 'pod-template-hash': hash };
  const rs = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${meta.name}-${hash}`,
      labels,
      annotations: { [REVISION]: String(revision) },
      ownerReferences: [ownerReference(deployment)],
    },
    spec: { replicas, selector, template },
  };
  store.create('replicasets', prepareCreate(resourceTypeNamed('replicasets'), meta.namespace ?? '', rs));
}

export function reconcileDeployment(store: ObjectStore, namespace: string, name: string): void {
  let deployment = store.get('deployments', namespace, name);
  if (!deployment) return;
  const uid = metaOf(deployment).uid;
  const desired = num(recordAt(deployment, 'spec')?.['replicas'], 1);
  const hash = templateHash(recordAt(deployment, 'spec', 'template'));
  const owned = store.list('replicasets', namespace).filter((rs) => ownedBy(rs, uid));
  const revisionOf = (rs: KubeObject): number => Number(metaOf(rs).annotations?.[REVISION] ?? '0');
  const current = owned.find((rs) => labelsOf(rs)['pod-template-hash'] === hash);
  const newest = Math.max(0, ...owned.map(revisionOf));
  // A template seen before (rollout undo) becomes the newest revision again, as upstream does.
  const revision = current && revisionOf(current) === newest ? newest : newest + 1;
  if (!current) createReplicaSet(store, deployment, hash, revision, desired);
  for (const rs of owned) {
    const want = rs === current ? desired : 0;
    const meta = metaOf(rs);
    const annotations =
      rs === current ? { ...meta.annotations, [REVISION]: String(revision) } : meta.annotations;
    if (
      num(recordAt(rs, 'spec')?.['replicas'], 1) !== want ||
      annotations?.[REVISION] !== meta.annotations?.[REVISION]
    ) {
      store.replace('replicasets', {
        ...rs,
        metadata: { ...meta, annotations },
        spec: { ...(rs['spec'] as object), replicas: want },
      });
    }
  }
  if (metaOf(deployment).annotations?.[REVISION] !== String(revision)) {
    const meta = metaOf(deployment);
    deployment = store.replace('deployments', {
      ...deployment,
      metadata: { ...meta, annotations: { ...meta.annotations, [REVISION]: String(revision) } },
    });
  }
  const limit = num(recordAt(deployment, 'spec')?.['revisionHistoryLimit'], 10);
  const old = owned.filter((rs) => rs !== current).sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of old.slice(0, Math.max(0, old.length - limit)))
    store.delete('replicasets', namespace, metaOf(rs).name ?? '');
  const pods = store.list('pods', namespace);
  const fresh = store.list('replicasets', namespace).filter((rs) => ownedBy(rs, uid));
  const podsOf = (rs: KubeObject): number => pods.filter((p) => ownedBy(p, metaOf(rs).uid)).length;
  const total = fresh.reduce((sum, rs) => sum + podsOf(rs), 0);
  const updated = fresh
    .filter((rs) => labelsOf(rs)['pod-template-hash'] === hash)
    .reduce((sum, rs) => sum + podsOf(rs), 0);
  const status: Record<string, unknown> = {
    observedGeneration: metaOf(deployment).generation ?? 1,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: total,
    availableReplicas: total,
    conditions: [
      condition('Available', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
      condition(
        'Progressing',
        'NewReplicaSetAvailable',
        `ReplicaSet "${name}-${hash}" has successfully progressed.`,
      ),
    ],
  };
  if (total === 0)
    for (const key of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'])
      delete status[key];
  writeStatus(store, 'deployments', deployment, status);
}
