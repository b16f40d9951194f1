import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { valueKind } from '../../src/request/resource-kinds.ts';

/**
 * Which requests are about objects that can hold secret values — Secret data, ConfigMap data,
 * env values in pods and every kind with a pod template — and so have bodies that need masking.
 * Owned by masking: the response masker plans with it (gateway/masking/plan.ts), and the recorder
 * uses the same set to mask the bodies it stores and to refuse storing a partial (over-cap) body
 * about these kinds, since the head of a JSON document cannot be masked reliably. Which resource
 * is which kind, per API group, is the shared table's (request/resource-kinds.ts).
 */

/** Subresources whose body is the whole parent object (or a form of it). */
const OBJECT_SUBRESOURCES: ReadonlySet<string> = new Set(['', 'status', 'ephemeralcontainers', 'resize']);

/**
 * The kind a resource request's resource is (`Secret`, `Pod`…) when objects of that kind can hold
 * values, whatever the subresource and verb; undefined for other resources and non-resource paths.
 */
export function valueKindOf(info: RequestInfo): string | undefined {
  if (!info.isResourceRequest) return undefined;
  return valueKind(info.apiGroup, info.resource);
}

/** True when the subresource's body is the parent object itself (none, `status`, …). */
export function isObjectSubresource(subresource: string): boolean {
  return OBJECT_SUBRESOURCES.has(subresource);
}

/**
 * The kind a request's bodies are about, when that kind can hold values; undefined otherwise
 * (discovery, `pods/log` — text, masked as text — `scale`, other resources).
 */
export function sensitiveKindOf(info: RequestInfo | undefined): string | undefined {
  if (!info || !isObjectSubresource(info.subresource)) return undefined;
  return valueKindOf(info);
}
