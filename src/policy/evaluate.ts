import { prepare, ruleMatches } from './match.ts';
import { defaultDenyMessage, reviewMessage, ruleDenyMessage } from './messages.ts';
import {
  type CompiledPolicy,
  type CompiledRule,
  DEFAULT_RULE,
  type Decision,
  type PolicyInput,
} from './policy.types.ts';
import { allowsProxy, isProxyRequest, PROXY_RULE, proxyDenyMessage } from './proxy-subresources.ts';

/**
 * Decides one request: the most restrictive of all matching rules wins (deny > review > allow);
 * when no rule matches, the policy's default decides. Within one action the first matching rule
 * in file order names the decision (and, for review, supplies the review settings); every match
 * is listed in `matched` so `policy explain` and the audit record can show all of them.
 *
 * Order of rules therefore never changes the action, only which rule is named: a policy author
 * cannot accidentally shadow a deny by writing an allow above it.
 *
 * Proxy subresources are the exception to "any allow will do": only an allow rule that names
 * the subresource explicitly counts, and `default: allow` does not (proxy-subresources.ts).
 *
 * Cheap by construction: the policy was compiled at load, so this is a loop of Set lookups and
 * anchored RegExp tests, plus the one string concatenation in `prepare`. Messages are built only
 * for deny and review decisions.
 */
export function evaluate(policy: CompiledPolicy, input: PolicyInput): Decision {
  const prepared = prepare(input);
  const matched: Decision['matched'] = [];
  let deny: CompiledRule | undefined;
  let review: CompiledRule | undefined;
  let allow: CompiledRule | undefined;
  /** An allow rule that matched a proxy request only through a wildcard. */
  let broadProxy: CompiledRule | undefined;
  const proxy = isProxyRequest(input.info);
  for (const rule of policy.evaluated) {
    if (!ruleMatches(rule, input, prepared)) continue;
    matched.push({ name: rule.name, action: rule.action });
    if (rule.action === 'deny') deny ??= rule;
    else if (rule.action === 'review') review ??= rule;
    else if (!proxy || allowsProxy(rule, input.info, prepared)) allow ??= rule;
    else broadProxy ??= rule;
  }
  if (deny) return { action: 'deny', rule: deny.name, message: ruleDenyMessage(deny, input), matched };
  if (review) {
    const decision: Decision = {
      action: 'review',
      rule: review.name,
      message: reviewMessage(review, input),
      matched,
    };
    if (review.review) decision.review = review.review;
    return decision;
  }
  if (allow) return { action: 'allow', rule: allow.name, message: allow.message, matched };
  if (proxy && (broadProxy || policy.default === 'allow'))
    return { action: 'deny', rule: PROXY_RULE, message: proxyDenyMessage(input, broadProxy), matched };
  if (policy.default === 'allow') return { action: 'allow', rule: DEFAULT_RULE, message: '', matched };
  return { action: 'deny', rule: DEFAULT_RULE, message: defaultDenyMessage(input), matched };
}
