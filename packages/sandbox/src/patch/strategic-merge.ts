/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), approximated without the Go
 * struct tags: merge-patch semantics, except that lists of objects with a known merge key are
 * merged element by element, and primitive lists known as sets (finalizers) are unioned.
 *
 * Directives honoured (kubectl apply sends them): `$patch: replace | delete | merge` in maps and
 * list elements, `$retainKeys`, `$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`.
 * Merge keys come from the field name, as patchMergeKey does in k8s.io/api (containers by name,
 * container ports by containerPort, service ports by port, volumeMounts by mountPath, …).
 */
import { isRecord } from '../objects/meta.ts';

type Json = Record<string, unknown>;

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  secrets: 'name',
};

const SET_LISTS = new Set(['finalizers']);

/** The merge key for list `field`, judged by its elements for `ports` (containers vs services). */
function mergeKeyFor(field: string, elements: unknown[]): string | undefined {
  if (field === 'ports') {
    return elements.some((e) => isRecord(e) && 'containerPort' in e) ? 'containerPort' : 'port';
  }
  return MERGE_KEYS[field];
}

function sameKey(a: unknown, b: unknown, mergeKey: string): boolean {
  return isRecord(a) && isRecord(b) && a[mergeKey] !== undefined && a[mergeKey] === b[mergeKey];
}

function mergeList(field: string, original: unknown, patch: unknown[]): unknown[] {
  const base = Array.isArray(original) ? structuredClone(original) : [];
  if (patch.some((e) => isRecord(e) && e['$patch'] === 'replace')) {
    return patch.filter((e) => !(isRecord(e) && e['$patch'] === 'replace'));
  }
  if (SET_LISTS.has(field)) return [...new Set([...base, ...patch])];
  const mergeKey = mergeKeyFor(field, [...base, ...patch]);
  if (!mergeKey) return structuredClone(patch);
  for (const element of patch) {
    const index = base.findIndex((b) => sameKey(b, element, mergeKey));
    if (isRecord(element) && element['$patch'] === 'delete') {
      if (index >= 0) base.splice(index, 1);
    } else if (index >= 0) {
      base[index] = applyStrategicMergePatch(base[index], element);
    } else {
      base.push(applyStrategicMergePatch(undefined, element));
    }
  }
  return base;
}

/** Orders `list` as `order` says (elements not named there keep their place at the end). */
function reorder(list: unknown, order: unknown[], field: string): unknown {
  if (!Array.isArray(list)) return list;
  const mergeKey = mergeKeyFor(field, list);
  const position = (item: unknown): number => {
    const i = mergeKey ? order.findIndex((o) => sameKey(o, item, mergeKey)) : order.indexOf(item);
    return i < 0 ? order.length : i;
  };
  return [...list].sort((a, b) => position(a) - position(b));
}

/** Returns `original` with the strategic merge `patch` applied; neither argument is modified. */
export function applyStrategicMergePatch(original: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  const base: Json = directive !== 'replace' && isRecord(original) ? structuredClone(original) : {};
  const orders: Array<[string, unknown[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/')) {
      if (Array.isArray(value)) orders.push([key.slice('$setElementOrder/'.length), value]);
      continue;
    }
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = base[field];
      if (Array.isArray(current) && Array.isArray(value))
        base[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) delete base[key];
    else if (Array.isArray(value)) base[key] = mergeList(key, base[key], value);
    else if (isRecord(value)) {
      const merged = applyStrategicMergePatch(base[key], value);
      if (merged === undefined) delete base[key];
      else base[key] = merged;
    } else base[key] = value;
  }
  for (const [field, order] of orders) {
    if (field in base) base[field] = reorder(base[field], order, field);
  }
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(base)) if (!retain.includes(key)) delete base[key];
  }
  return base;
}

/**
 * The patch that turns `previous` into `next` by deletion only: for every map key present before
 * and absent now, `null`; for every list element (by merge key) gone, a `$patch: delete` entry.
 * Server-side apply merges `next` over the live object and then applies this, so fields a manager
 * stops applying are removed while fields others set are kept.
 */
export function removalsBetween(previous: unknown, next: unknown): Json | undefined {
  if (!isRecord(previous)) return undefined;
  const nextRecord = isRecord(next) ? next : {};
  const patch: Json = {};
  for (const [key, before] of Object.entries(previous)) {
    const after = nextRecord[key];
    if (after === undefined) {
      patch[key] = null;
    } else if (isRecord(before) && isRecord(after)) {
      const nested = removalsBetween(before, after);
      if (nested) patch[key] = nested;
    } else if (Array.isArray(before) && Array.isArray(after)) {
      const mergeKey = mergeKeyFor(key, [...before, ...after]);
      if (!mergeKey) continue;
      const gone = before.filter((b) => !after.some((a) => sameKey(a, b, mergeKey)));
      const deletions = gone.filter(isRecord).map((g) => ({ [mergeKey]: g[mergeKey], $patch: 'delete' }));
      const nested = after.flatMap((a) => {
        const old = before.find((b) => sameKey(a, b, mergeKey));
        const inner = removalsBetween(old, a);
        return inner && isRecord(a) ? [{ ...inner, [mergeKey]: a[mergeKey] }] : [];
      });
      if (deletions.length + nested.length > 0) patch[key] = [...deletions, ...nested];
    }
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
