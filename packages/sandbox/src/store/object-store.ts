/**
 * The sandbox cluster's etcd: every object, keyed by resource, namespace and name, plus a bounded
 * history of change events for watches.
 *
 * Contract (the parts of etcd/apiserver semantics clients rely on):
 * - one global, strictly increasing resourceVersion; every write stamps the object with it;
 * - create assigns uid, creationTimestamp and generation 1; replace keeps them, and bumps
 *   generation when anything outside metadata and status changed;
 * - every write emits exactly one event (ADDED, MODIFIED, DELETED) to subscribers, synchronously,
 *   after the write is visible;
 * - reads hand out copies: callers may mutate what they get.
 *
 * Defaulting, validation and admission are the handlers' job; the store only refuses what
 * storage itself refuses (duplicate names, missing objects, stale resourceVersions).
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, notFound } from '../errors.ts';
import { clone, type KubeObject, metaOf, namespaceOf, timestamp } from '../objects/meta.ts';
import { resourceTypeNamed } from '../resources.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change, as watches replay it. */
export interface StoreEvent {
  type: StoreEventType;
  /** The plural resource name (`pods`); names are unique across the served groups. */
  resource: string;
  namespace: string;
  /** The object after the change (for DELETED: as it was, stamped with the deletion's version). */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED), for selector transitions. */
  previous?: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

export interface ObjectStoreOptions {
  /** How many events to keep for watches that resume from a resourceVersion (default 5000). */
  historyLimit?: number;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

/** Everything except metadata and status, to decide whether generation moves. */
function specPart(object: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = object;
  return JSON.stringify(rest);
}

export class ObjectStore {
  #revision = 0;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #history: StoreEvent[] = [];
  /** Highest resourceVersion dropped from history; watches from before it are expired. */
  #compactedThrough = 0;
  readonly #listeners = new Set<StoreListener>();
  readonly #historyLimit: number;

  constructor(options: ObjectStoreOptions = {}) {
    this.#historyLimit = options.historyLimit ?? 5000;
  }

  /** The current (latest) resourceVersion, as lists report it. */
  get resourceVersion(): string {
    return String(this.#revision);
  }

  #bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.#objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.#objects.set(resource, bucket);
    }
    return bucket;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.#objects.get(resource)?.get(key(namespace, name));
    return found ? clone(found) : undefined;
  }

  /** Objects of `resource`, in one namespace or (namespace undefined) all, sorted by namespace/name. */
  list(resource: string, namespace?: string): KubeObject[] {
    const bucket = this.#objects.get(resource);
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, o]) => namespace === undefined || namespaceOf(o) === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => clone(o));
  }

  /** Stores a new object. Throws AlreadyExists when the name is taken. */
  create(resource: string, object: KubeObject): KubeObject {
    const stored = clone(object);
    const meta = metaOf(stored);
    const id = key(meta.namespace ?? '', meta.name ?? '');
    const bucket = this.#bucket(resource);
    if (bucket.has(id)) throw alreadyExists(resourceTypeNamed(resource), meta.name ?? '');
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp();
    meta.generation = 1;
    meta.resourceVersion = String(++this.#revision);
    bucket.set(id, stored);
    this.#emit({ type: 'ADDED', resource, namespace: meta.namespace ?? '', object: clone(stored) });
    return clone(stored);
  }

  /**
   * Replaces an existing object. When the new object carries a resourceVersion it must be the
   * stored one (optimistic concurrency), else Conflict. Identity fields are kept from storage.
   */
  replace(resource: string, object: KubeObject): KubeObject {
    const stored = clone(object);
    const meta = metaOf(stored);
    const namespace = meta.namespace ?? '';
    const name = meta.name ?? '';
    const bucket = this.#bucket(resource);
    const previous = bucket.get(key(namespace, name));
    const type = resourceTypeNamed(resource);
    if (!previous) throw notFound(type, name);
    const before = metaOf(previous);
    if (meta.resourceVersion && meta.resourceVersion !== before.resourceVersion) throw conflict(type, name);
    meta.uid = before.uid;
    meta.creationTimestamp = before.creationTimestamp;
    const changed = specPart(previous) !== specPart(stored);
    meta.generation = (before.generation ?? 1) + (changed ? 1 : 0);
    meta.resourceVersion = String(++this.#revision);
    bucket.set(key(namespace, name), stored);
    this.#emit({ type: 'MODIFIED', resource, namespace, object: clone(stored), previous: clone(previous) });
    return clone(stored);
  }

  /** Removes an object and returns it as it was, or throws NotFound. */
  delete(resource: string, namespace: string, name: string): KubeObject {
    const bucket = this.#bucket(resource);
    const previous = bucket.get(key(namespace, name));
    if (!previous) throw notFound(resourceTypeNamed(resource), name);
    bucket.delete(key(namespace, name));
    const gone = clone(previous);
    metaOf(gone).resourceVersion = String(++this.#revision);
    this.#emit({ type: 'DELETED', resource, namespace, object: clone(gone), previous: clone(previous) });
    return gone;
  }

  /** Calls `listener` after every write, until the returned function is called. */
  subscribe(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Events with a resourceVersion above `since`, oldest first, or `'expired'` when history no
   * longer reaches back that far (the watcher must list again: 410 Gone).
   */
  eventsSince(since: number): StoreEvent[] | 'expired' {
    if (since < this.#compactedThrough) return 'expired';
    return this.#history.filter((e) => e.resourceVersion > since).map((e) => clone(e));
  }

  #emit(event: Omit<StoreEvent, 'resourceVersion'>): void {
    const full: StoreEvent = { ...event, resourceVersion: this.#revision };
    this.#history.push(full);
    while (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.shift();
      if (dropped) this.#compactedThrough = dropped.resourceVersion;
    }
    for (const listener of [...this.#listeners]) listener(clone(full));
  }
}
