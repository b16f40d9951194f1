/**
 * Runs the sandbox's controllers off store events: deployments and replica sets (workloads.ts),
 * owner garbage collection, and the service-account controller (a `default` ServiceAccount in
 * every namespace).
 *
 * Work is queued by key and processed on the next turn of the event loop (setImmediate), never
 * inside the store's event dispatch, so a watcher sees an object's own event before the events
 * its controllers cause, as on a real cluster. `idle()` resolves once the queue is drained.
 */

import { prepareCreate } from '../objects/admit.ts';
import { metaOf, namespaceOf } from '../objects/meta.ts';
import { resourceTypeNamed } from '../resources.ts';
import type { ObjectStore, StoreEvent } from '../store/object-store.ts';
import { ownedBy, ownerName, reconcileDeployment, reconcileReplicaSet } from './workloads.ts';

export interface Controllers {
  /** Resolves when no reconcile is pending (after seeding, or in tests). */
  idle(): Promise<void>;
  stop(): void;
}

type Job = {
  kind: 'deployment' | 'replicaset' | 'namespace' | 'collect';
  namespace: string;
  name: string;
  uid?: string;
};

function ensureDefaultServiceAccount(store: ObjectStore, namespace: string): void {
  if (!store.get('namespaces', '', namespace) || store.get('serviceaccounts', namespace, 'default')) return;
  const account = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } };
  store.create('serviceaccounts', prepareCreate(resourceTypeNamed('serviceaccounts'), namespace, account));
}

/** Deletes what the deleted object `uid` owned: replica sets of a deployment, pods of a replica set. */
function collect(store: ObjectStore, namespace: string, uid: string): void {
  for (const resource of ['replicasets', 'pods']) {
    for (const child of store.list(resource, namespace).filter((o) => ownedBy(o, uid))) {
      if (store.get(resource, namespace, metaOf(child).name ?? ''))
        store.delete(resource, namespace, metaOf(child).name ?? '');
    }
  }
}

export function startControllers(store: ObjectStore): Controllers {
  const queue = new Map<string, Job>();
  let scheduled = false;
  let waiters: Array<() => void> = [];
  const enqueue = (job: Job): void => {
    queue.set(`${job.kind}/${job.namespace}/${job.name}/${job.uid ?? ''}`, job);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const run = (job: Job): void => {
    if (job.kind === 'deployment') reconcileDeployment(store, job.namespace, job.name);
    else if (job.kind === 'replicaset') reconcileReplicaSet(store, job.namespace, job.name);
    else if (job.kind === 'namespace') ensureDefaultServiceAccount(store, job.name);
    else if (job.uid) collect(store, job.namespace, job.uid);
  };
  function drain(): void {
    scheduled = false;
    const jobs = [...queue.values()];
    queue.clear();
    for (const job of jobs) {
      try {
        run(job);
      } catch {
        // A conflict with a concurrent client write: the write's own event re-queues the object.
      }
    }
    if (!scheduled) {
      const done = waiters;
      waiters = [];
      for (const resolve of done) resolve();
    }
  }
  const onEvent = (event: StoreEvent): void => {
    const namespace = namespaceOf(event.object);
    const name = metaOf(event.object).name ?? '';
    if (event.type === 'DELETED' && (event.resource === 'deployments' || event.resource === 'replicasets')) {
      enqueue({ kind: 'collect', namespace, name, uid: metaOf(event.object).uid ?? '' });
    }
    if (event.resource === 'deployments' && event.type !== 'DELETED')
      enqueue({ kind: 'deployment', namespace, name });
    if (event.resource === 'replicasets') {
      if (event.type !== 'DELETED') enqueue({ kind: 'replicaset', namespace, name });
      const owner = ownerName(event.object, 'Deployment');
      if (owner) enqueue({ kind: 'deployment', namespace, name: owner });
    }
    if (event.resource === 'pods' && event.type !== 'MODIFIED') {
      const owner = ownerName(event.object, 'ReplicaSet');
      if (owner) enqueue({ kind: 'replicaset', namespace, name: owner });
    }
    if (event.resource === 'namespaces' && event.type === 'ADDED')
      enqueue({ kind: 'namespace', namespace: '', name });
  };
  const unsubscribe = store.subscribe(onEvent);
  return {
    idle: () => (scheduled ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve()),
    stop: () => {
      unsubscribe();
      queue.clear();
    },
  };
}
