import type { Caller } from '../authn/caller.ts';
import { claimAt, claimText } from '../authn/claim-path.ts';
import type { CompiledRule, PolicyInput } from './policy.types.ts';

/**
 * Whether one compiled rule matches one request. Every matcher present must match (AND); inside a
 * matcher any entry may match (OR); a matcher left out matches anything.
 *
 * Scope: a rule with `apiGroups`, `resources`, `namespaces` or `names` matches only resource
 * requests; a rule with `nonResourceURLs` only non-resource requests; a rule with neither matches
 * both. A `review` rule never matches a non-resource request: those are never held.
 *
 * Names and namespaces a request does not state. The apiserver's request info leaves `name` empty
 * for list, watch, deletecollection and create, and `namespace` empty for cluster-scoped objects
 * and for lists and watches across all namespaces. An allow rule with `names` or `namespaces`
 * needs the request to state a matching value (RBAC's reading: `names: [db-0]` allows getting
 * db-0, not listing every secret). A deny or review rule also matches when the request does not
 * state the value but could reach it: any request without a name, and a list, watch or
 * deletecollection without a namespace. Otherwise `deny secrets, names: [prod-db]` would be
 * dodged by `kubectl get secrets`, and `deny namespaces: [payments]` by `kubectl get pods -A`.
 * A `""` entry in `namespaces` matches requests without a namespace, for every action.
 *
 * `claims` matches the caller's verified token claims by dotted path (claim-path.ts): every listed
 * claim must have a value matching one of its globs. Numbers and booleans are matched as text, a
 * list claim matches when any of its entries does, and a caller whose token lacks the claim is
 * not matched, whatever the action (a claim it does not carry says nothing about it).
 */

const CROSS_NAMESPACE_VERBS: ReadonlySet<string> = new Set(['list', 'watch', 'deletecollection']);

/**
 * Per-request values that several rules need; built once per evaluation so that matching a rule
 * allocates nothing.
 */
export interface Prepared {
  /** `resource` or `resource/subresource`. */
  resource: string;
  /** The non-resource path without a trailing slash (except for `/`). */
  url: string;
}

export function prepare(input: PolicyInput): Prepared {
  const { info } = input;
  const resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
  const url = info.path.length > 1 && info.path.endsWith('/') ? info.path.slice(0, -1) : info.path;
  return { resource, url };
}

function anyGroupMatches(pattern: RegExp, groups: readonly string[]): boolean {
  for (const group of groups) if (pattern.test(group)) return true;
  return false;
}

/** Every claim listed has a value one of its globs matches. */
export function claimsMatch(claims: NonNullable<CompiledRule['claims']>, caller: Caller): boolean {
  for (const { path, pattern } of claims) {
    const value = claimAt(caller.claims, path);
    const values = Array.isArray(value) ? value : [value];
    if (
      !values.some((v) => {
        const text = claimText(v);
        return text !== undefined && pattern.test(text);
      })
    )
      return false;
  }
  return true;
}

/** Whether a rule's caller matchers (subjects, groups, clusters, claims) all match. */
export function callerMatches(rule: CompiledRule, caller: Caller, cluster: string): boolean {
  if (rule.subjects && !rule.subjects.test(caller.subject)) return false;
  if (rule.groups && !anyGroupMatches(rule.groups, caller.groups)) return false;
  if (rule.clusters && !rule.clusters.test(cluster)) return false;
  if (rule.claims && !claimsMatch(rule.claims, caller)) return false;
  return true;
}

export function ruleMatches(rule: CompiledRule, input: PolicyInput, prepared: Prepared): boolean {
  const { info, caller } = input;
  if (info.isResourceRequest ? rule.scope === 'nonResource' : rule.scope === 'resource') return false;
  if (!info.isResourceRequest && rule.action === 'review') return false;
  if (rule.verbs && !rule.verbs.has(info.verb)) return false;
  if (!callerMatches(rule, caller, input.cluster)) return false;
  if (!info.isResourceRequest)
    return rule.nonResourceURLs === null || rule.nonResourceURLs.test(prepared.url);

  const restrictive = rule.action !== 'allow';
  if (rule.apiGroups && !rule.apiGroups.test(info.apiGroup)) return false;
  if (rule.resources && !rule.resources.test(prepared.resource)) return false;
  if (rule.namespaces) {
    const { pattern, empty } = rule.namespaces;
    if (info.namespace === '') {
      if (!empty && !(restrictive && CROSS_NAMESPACE_VERBS.has(info.verb))) return false;
    } else if (!pattern?.test(info.namespace)) {
      return false;
    }
  }
  if (rule.names) {
    if (info.name === '') return restrictive;
    if (!rule.names.test(info.name)) return false;
  }
  return true;
}
