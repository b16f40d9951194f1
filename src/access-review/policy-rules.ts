import type { Caller } from '../authn/caller.ts';
import { callerMatches } from '../policy/match.ts';
import type { CompiledPolicy, CompiledRule, ReviewSpec } from '../policy/policy.types.ts';

/**
 * The policy's rules for one caller in one namespace, as a SelfSubjectRulesReview lists them
 * (`kubectl auth can-i --list`): every allow and review rule whose caller matchers (subjects,
 * groups, clusters, claims) match and whose `namespaces` include the namespace asked about, as
 * RBAC-shaped resource and non-resource rules. A review rule's verbs carry
 * {@link NEEDS_APPROVAL}, so `delete(needs-approval)` reads as what it is in kubectl's table.
 *
 * Deny rules cannot be written as RBAC rules (RBAC only grants), so each applicable one is
 * described in `denials`; the caller puts them in `evaluationError` with `incomplete: true`,
 * which kubectl prints as a warning under the list.
 */

export const NEEDS_APPROVAL = '(needs-approval)';

const NON_RESOURCE_VERBS: ReadonlySet<string> = new Set(['get', 'head', 'post', 'put', 'patch', 'delete']);

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface PolicyRules {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** One line per deny rule that applies to this caller and namespace. */
  denials: string[];
}

function namespaceApplies(rule: CompiledRule, namespace: string): boolean {
  if (!rule.namespaces) return true;
  if (namespace === '') return rule.namespaces.empty || rule.action !== 'allow';
  return rule.namespaces.pattern?.test(namespace) ?? false;
}

export function policyRulesFor(
  policy: CompiledPolicy,
  caller: Caller,
  cluster: string,
  namespace: string,
): PolicyRules {
  const out: PolicyRules = { resourceRules: [], nonResourceRules: [], denials: [] };
  for (const rule of policy.evaluated) {
    if (!callerMatches(rule, caller, cluster) || !namespaceApplies(rule, namespace)) continue;
    const match = rule.match ?? {};
    if (rule.action === 'deny') {
      out.denials.push(`rule "${rule.name}" denies ${describe(rule)}`);
      continue;
    }
    const verbs = match.verbs ?? ['*'];
    if (rule.scope !== 'nonResource') {
      const resourceRule: ResourceRule = {
        verbs: rule.action === 'review' ? verbs.map((v) => `${v}${NEEDS_APPROVAL}`) : [...verbs],
        apiGroups: match.apiGroups ?? ['*'],
        resources: match.resources ?? ['*'],
      };
      if (match.names) resourceRule.resourceNames = [...match.names];
      out.resourceRules.push(resourceRule);
    }
    // A rule for both kinds of request reaches non-resource URLs with the verbs they can have.
    const nonResourceVerbs = verbs.filter((v) => v === '*' || NON_RESOURCE_VERBS.has(v));
    if (rule.scope !== 'resource' && rule.action === 'allow' && nonResourceVerbs.length > 0) {
      out.nonResourceRules.push({ verbs: nonResourceVerbs, nonResourceURLs: match.nonResourceURLs ?? ['*'] });
    }
  }
  if (policy.default === 'allow') {
    out.resourceRules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
    out.nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
  }
  return out;
}

/** What a rule covers, in a few words: `delete on namespaces in payments`. */
function describe(rule: CompiledRule): string {
  const m = rule.match ?? {};
  const parts = [
    m.verbs ? m.verbs.join(',') : 'every verb',
    m.nonResourceURLs ? `on ${m.nonResourceURLs.join(',')}` : `on ${(m.resources ?? ['*']).join(',')}`,
  ];
  if (m.apiGroups) parts.push(`in API groups ${m.apiGroups.map((g) => g || '""').join(',')}`);
  if (m.namespaces) parts.push(`in namespaces ${m.namespaces.map((n) => n || '""').join(',')}`);
  if (m.names) parts.push(`named ${m.names.join(',')}`);
  return parts.join(' ');
}

/**
 * What `kubectl auth can-i` says for a call the policy holds for review: the call is not allowed
 * now, but will be once approved, and by whom — so an agent knows it would be held.
 */
export function approvalReason(rule: string, spec: ReviewSpec | undefined, message: string): string {
  const users = spec?.approvers?.users ?? [];
  const groups = (spec?.approvers?.groups ?? []).map((g) => `group ${g}`);
  const who = [...users, ...groups];
  const count = spec?.minApprovals && spec.minApprovals > 1 ? `${spec.minApprovals} of ` : '';
  const by =
    who.length > 0 ? `${count}${who.join(', ')}` : 'a person who may approve reviews on this gateway';
  const why = message ? ` ${message}` : '';
  return `allowed after approval by ${by} (rule "${rule}"): the call would be held until approved.${why}`;
}
