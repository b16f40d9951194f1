/**
 * The `kubectl.kubernetes.io/last-applied-configuration` annotation: `kubectl apply` stores the
 * whole applied manifest in it, so a Secret applied with kubectl carries every value a second
 * time, in plain JSON inside a string. Masking the fields but not the annotation would mask
 * nothing. It appears wherever metadata does: full objects, list items, Table rows, and the
 * `PartialObjectMetadata` that `kubectl get` asks for by default.
 *
 * The annotation is parsed and masked with the same rules as the object. When it cannot be
 * parsed (it is free text anyone with update rights can write), it is dropped: an unreadable
 * annotation cannot be proven free of values.
 */
import { isJsonObject, type JsonObject, type MaskTally, objectAt } from '../../src/masking/mask-core.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Masks the annotation of `object` in place. `maskInner` masks the parsed manifest (the caller's
 * dispatcher, so a manifest of any kind gets its own kind's rules); the annotation is rewritten
 * only when that masked something, so an object with nothing to hide keeps its annotation as is.
 */
export function maskLastApplied(
  object: JsonObject,
  tally: MaskTally,
  maskInner: (manifest: JsonObject) => void,
): void {
  const annotations = objectAt(objectAt(object, 'metadata'), 'annotations');
  if (annotations === undefined || !Object.hasOwn(annotations, LAST_APPLIED_ANNOTATION)) return;
  const raw = annotations[LAST_APPLIED_ANNOTATION];
  let manifest: unknown;
  try {
    manifest = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    manifest = undefined;
  }
  if (!isJsonObject(manifest)) {
    delete annotations[LAST_APPLIED_ANNOTATION];
    tally.dropped();
    return;
  }
  const before = tally.count;
  maskInner(manifest);
  if (tally.count === before) return;
  // kubectl writes the manifest followed by a newline; keep whatever the original had.
  const newline = typeof raw === 'string' && raw.endsWith('\n') ? '\n' : '';
  annotations[LAST_APPLIED_ANNOTATION] = JSON.stringify(manifest) + newline;
}
