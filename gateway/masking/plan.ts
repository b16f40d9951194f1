/**
 * Decides, per request and before anything is sent upstream, whether the response must be read
 * and masked — and if so, how. It runs on every request, so it is a few string comparisons and
 * one map lookup: `null` means the response streams through untouched and costs nothing.
 *
 * Masked: every verb's response (get, list, watch, create, update, patch, delete,
 * deletecollection all return objects) for the kinds that hold values — Secrets, ConfigMaps the
 * policy names, Pods and every kind with a pod template — plus the subresources that return the
 * whole object (`status`, `ephemeralcontainers`, `resize`) and `pods/log` as text. Table and
 * PartialObjectMetadata answers are recognised in the body, so they need nothing here. Not
 * masked: discovery, /openapi, /version and other non-resource paths, every other resource,
 * `scale`, `eviction`, `binding`, `proxy`, and the exec/attach/portforward streams (those are
 * relayed frame by frame elsewhere; they can use the same `LineMasker`).
 */
import type { Caller } from '../../src/authn/caller.ts';
import {
  type CompiledMaskingPolicy,
  type MaskingLimits,
  type MaskingRules,
  maskingRulesFor,
} from '../../src/masking/policy.ts';
import type { RequestInfo } from '../../src/request/request-info.types.ts';
import { configMapRulesFor } from './data-maps.ts';
import { isObjectSubresource, valueKindOf } from './value-kinds.ts';

/** How one response is to be masked. Plain data: the proxy may log it (it holds no values). */
export interface MaskPlan {
  /** `object`: JSON documents, lists, Tables, watch streams. `text`: pod logs. */
  readonly mode: 'object' | 'text';
  /** The kind the request is about, e.g. `Secret`: the kind of objects that do not say theirs. */
  readonly kind: string;
  /** The caller's rules (`rules.source` names the policy rule that chose them). */
  readonly rules: MaskingRules;
  readonly limits: MaskingLimits;
  /** The request is a watch (verb `watch`): the body is a stream of events. */
  readonly watch: boolean;
}

const NO_BODY_METHODS = new Set(['HEAD', 'OPTIONS']);

/** The kind a resource request is about when it can carry values, else undefined. */
function kindOf(info: RequestInfo): string | undefined {
  return info.verb === 'proxy' ? undefined : valueKindOf(info);
}

/** Whether `rules` mask anything in objects of `kind` within the request's namespace and name. */
function rulesApply(kind: string, rules: MaskingRules, info: RequestInfo): boolean {
  if (kind === 'Secret') return rules.secrets;
  if (kind === 'ConfigMap') return configMapRulesFor(rules, info.namespace, info.name).length > 0;
  return rules.env.mode !== 'never';
}

/** The masking plan for one request, or null when its response streams through untouched. */
export function planMasking(
  info: RequestInfo,
  caller: Caller,
  policy: CompiledMaskingPolicy,
  method: string,
): MaskPlan | null {
  if (NO_BODY_METHODS.has(method.toUpperCase())) return null;
  const kind = kindOf(info);
  if (kind === undefined) return null;
  const rules = maskingRulesFor(policy, caller);
  const base = { kind, rules, limits: policy.limits, watch: info.verb === 'watch' };
  if (kind === 'Pod' && info.subresource === 'log') {
    return rules.logs.detectors.size > 0 || rules.logs.secretValues ? { ...base, mode: 'text' } : null;
  }
  if (!isObjectSubresource(info.subresource) || !rulesApply(kind, rules, info)) return null;
  return { ...base, mode: 'object' };
}

/**
 * When this request returns Secret values that the caller's rules let through unmasked (a
 * break-glass rule with `secrets: false`), the policy rule that allowed it — for the recording
 * and the session summary to say so. Undefined otherwise.
 */
export function unmaskedSecretsRule(
  info: RequestInfo,
  caller: Caller,
  policy: CompiledMaskingPolicy,
): string | undefined {
  if (kindOf(info) !== 'Secret' || !isObjectSubresource(info.subresource)) return undefined;
  const rules = maskingRulesFor(policy, caller);
  return rules.secrets ? undefined : rules.source;
}
