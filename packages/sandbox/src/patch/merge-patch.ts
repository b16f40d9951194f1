/**
 * JSON Merge Patch (RFC 7386), the `application/merge-patch+json` patch type: objects merge key by
 * key, `null` deletes a key, anything else (arrays included) replaces the target value.
 */
import { isRecord } from '../objects/meta.ts';

/** Returns `target` with `patch` merged in; neither argument is modified. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isRecord(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
