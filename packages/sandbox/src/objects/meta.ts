/**
 * Untyped Kubernetes objects and small accessors for them. The sandbox stores objects as the JSON
 * the client sent (after defaulting), so it can round-trip fields it does not model.
 */

/** A Kubernetes object as decoded JSON: apiVersion, kind, metadata and whatever else it carries. */
export type KubeObject = Record<string, unknown>;

/** The fields of ObjectMeta the sandbox reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  [key: string]: unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object's metadata, created (empty) when missing so callers may assign into it. */
export function metaOf(object: KubeObject): ObjectMeta {
  if (!isRecord(object['metadata'])) object['metadata'] = {};
  return object['metadata'] as ObjectMeta;
}

export function nameOf(object: KubeObject): string {
  return metaOf(object).name ?? '';
}

export function namespaceOf(object: KubeObject): string {
  return metaOf(object).namespace ?? '';
}

export function labelsOf(object: KubeObject): Record<string, string> {
  const labels = metaOf(object).labels;
  return isRecord(labels) ? labels : {};
}

/** A nested record at `path`, or undefined when any step is missing or not an object. */
export function recordAt(object: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let current: unknown = object;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return isRecord(current) ? current : undefined;
}

/** A nested array at `path` (records only), or an empty array. */
export function recordsAt(object: unknown, ...path: string[]): Array<Record<string, unknown>> {
  const parent = recordAt(object, ...path.slice(0, -1));
  const value = parent?.[path[path.length - 1] ?? ''];
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** A nested record at `path`, created along the way when missing. */
export function ensureRecord(object: Record<string, unknown>, ...path: string[]): Record<string, unknown> {
  let current = object;
  for (const key of path) {
    if (!isRecord(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  return current;
}

/** A deep copy (objects here are plain JSON values). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** RFC 3339 timestamp with second precision, the way metav1.Time serialises. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
