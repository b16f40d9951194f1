import type { RequestInfo } from '../request/request-info.types.ts';
import type { Prepared } from './match.ts';
import { describeRequest } from './messages.ts';
import type { CompiledPolicy, CompiledRule, PolicyInput } from './policy.types.ts';

/**
 * Proxy subresources as their own, dangerous class. `pods/<n>/proxy`, `services/<n>/proxy` and
 * `nodes/<n>/proxy` are HTTP tunnels: into a workload's ports, and into the kubelet, whose
 * `/pods`, `/containerLogs`, `/exec` and `/run` endpoints return pod specs with literal env values
 * and raw logs. The gateway cannot mask what travels through a tunnel (it does not know the
 * protocol behind it), so a wildcard written for ordinary reads must never open one.
 *
 * The rule: a request through a proxy subresource (or kube-apiserver's legacy `/proxy/` verb
 * path) is allowed only by an `allow` rule whose `resources` names `<resource>/proxy` literally
 * (`pods/proxy`; no `*` or `?` in that entry). A rule that reaches it through `*`, `pods/*`,
 * `*\/proxy` or no `resources` at all, and a policy `default: allow`, do not count: the request
 * is denied with a message that says how to allow it. Deny and review rules match as always, so
 * a broad deny still covers proxies. The legacy verb form carries no subresource, so no rule can
 * name it: it is always denied (kube-apiserver stopped serving it long ago).
 */

/** The name a decision carries when this rule, not a policy rule, denied the request. */
export const PROXY_RULE = 'builtin:proxy-subresources';

/** The proxy subresources of built-in resources, for `policy check`'s warning. */
export const PROXY_SUBRESOURCES = ['pods/proxy', 'services/proxy', 'nodes/proxy'] as const;

/** Verbs a proxy request can have: the method's verb, or `proxy` for the legacy path. */
const PROXY_VERBS = ['get', 'create', 'update', 'patch', 'delete', 'proxy'] as const;

/** True for a request through a proxy subresource or the legacy `/proxy/` verb path. */
export function isProxyRequest(info: RequestInfo): boolean {
  return info.isResourceRequest && (info.subresource === 'proxy' || info.verb === 'proxy');
}

/** The `resources` entries that name a proxy subresource literally (no glob characters). */
export function explicitProxyResources(resources: readonly string[] | undefined): ReadonlySet<string> {
  return new Set((resources ?? []).filter((entry) => entry.endsWith('/proxy') && !/[*?]/.test(entry)));
}

/** Whether `rule` may allow this proxy request: it names the request's subresource itself. */
export function allowsProxy(rule: CompiledRule, info: RequestInfo, prepared: Prepared): boolean {
  return info.subresource === 'proxy' && rule.explicitProxy?.has(prepared.resource) === true;
}

/** The deny message when only a wildcard rule (or the default) would have allowed the request. */
export function proxyDenyMessage(input: PolicyInput, broad: CompiledRule | undefined): string {
  const by = broad
    ? `rule ${JSON.stringify(broad.name)} matches it only through a wildcard`
    : "the policy's default is allow";
  const named = input.info.subresource === 'proxy' ? `${input.info.resource}/proxy` : 'the proxy subresource';
  return (
    `hoop-gateway denies ${describeRequest(input)}: a proxy subresource opens an HTTP tunnel into a ` +
    'workload or the kubelet whose answers the gateway cannot mask, so only a policy rule that names ' +
    `it explicitly (resources: [${named}]) allows it, and ${by}. Retrying will not help. Read the ` +
    'object, its logs, or exec a command instead; or ask the platform team for a rule that names ' +
    `${named} explicitly if this tunnel is really needed.`
  );
}

/** `policy check`'s warnings: allow rules (and a default) that would have opened proxies. */
export function proxyWarnings(policy: CompiledPolicy): string[] {
  const warnings: string[] = [];
  for (const rule of policy.rules) {
    if (rule.action !== 'allow' || rule.scope === 'nonResource') continue;
    if (rule.verbs && !PROXY_VERBS.some((verb) => rule.verbs?.has(verb))) continue;
    if (rule.apiGroups && !rule.apiGroups.test('')) continue;
    const reached = PROXY_SUBRESOURCES.filter(
      (target) =>
        (rule.resources === null || rule.resources.test(target)) && !rule.explicitProxy?.has(target),
    );
    if (reached.length === 0) continue;
    warnings.push(
      `rule ${JSON.stringify(rule.name)} would allow ${reached.join(', ')} through a wildcard, but ` +
        'proxy subresources are allowed only by a rule that names them explicitly (e.g. ' +
        'resources: [pods/proxy]); the gateway denies them.',
    );
  }
  if (policy.default === 'allow') {
    warnings.push(
      `default: allow does not extend to proxy subresources (${PROXY_SUBRESOURCES.join(', ')}): ` +
        'the gateway denies them unless a rule names them explicitly.',
    );
  }
  return warnings;
}
