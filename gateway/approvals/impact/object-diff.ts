import type { FieldChange } from '../../../src/approvals/impact.types.ts';
import { isJsonObject, type JsonValue } from '../../../src/masking/mask-core.ts';

/**
 * The fields a write would change: the live object against the server's dry-run result, leaf by
 * leaf, as JSON paths (`spec.replicas`, `metadata.labels["app.kubernetes.io/name"]`,
 * `spec.template.spec.containers[0].image`). Lists compare by index, as a reader counts them.
 *
 * The comparison runs on the raw objects (a changed secret value is still a change) but every
 * value shown comes from the masked copies, so a secret value is never shown on either side.
 * Bookkeeping the server changes on every write (resourceVersion, managedFields, generation…) is
 * left out: it says nothing about what the write does.
 */

/** Paths that change on every write or hold a copy of the object: never a finding. */
const NOISE = new Set([
  'metadata.managedFields',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.uid',
  'metadata.creationTimestamp',
  'metadata.selfLink',
  'metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]',
  'metadata.annotations["deployment.kubernetes.io/revision"]',
  'status.observedGeneration',
]);

const MAX_SHOWN_VALUE = 120;

export interface DiffSides {
  live: JsonValue;
  next: JsonValue;
  /** The same objects as masked with the caller's rules (what may be shown). */
  liveMasked: JsonValue;
  nextMasked: JsonValue;
}

/** Every change, in document order. */
export function diffObjects(sides: DiffSides): FieldChange[] {
  const changes: FieldChange[] = [];
  walk(sides.live, sides.next, sides.liveMasked, sides.nextMasked, '', changes);
  return changes;
}

function walk(
  a: JsonValue | undefined,
  b: JsonValue | undefined,
  am: JsonValue | undefined,
  bm: JsonValue | undefined,
  path: string,
  out: FieldChange[],
): void {
  if (NOISE.has(path)) return;
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      walk(a[key], b[key], child(am, key), child(bm, key), join(path, key), out);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      walk(a[i], b[i], child(am, i), child(bm, i), `${path}[${i}]`, out);
    }
    return;
  }
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path, op: 'added', to: shown(bm) });
    return;
  }
  if (b === undefined) {
    out.push({ path, op: 'removed', from: shown(am) });
    return;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  out.push({ path, op: 'changed', from: shown(am), to: shown(bm) });
}

function child(value: JsonValue | undefined, key: string | number): JsonValue | undefined {
  if (typeof key === 'number') return Array.isArray(value) ? value[key] : undefined;
  return isJsonObject(value) ? value[key] : undefined;
}

function join(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** A value as shown: scalars as JSON (cut), containers as `{…}` / `[…]`. */
function shown(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[…${value.length}]`;
  if (isJsonObject(value)) return Object.keys(value).length === 0 ? '{}' : '{…}';
  const text = JSON.stringify(value);
  return text.length > MAX_SHOWN_VALUE ? `${text.slice(0, MAX_SHOWN_VALUE)}…` : text;
}
