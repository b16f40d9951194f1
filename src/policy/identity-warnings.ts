import { compileClaimTemplate } from '../authn/claim-template.ts';
import { type IssuerConfig, issuerConfigSchema } from '../authn/issuer-config.ts';
import { globSource } from './patterns.ts';
import type { CompiledPolicy } from './policy.types.ts';

/**
 * Warnings for policy rules that match an identity no configured issuer can produce, which
 * `policy check` prints for a gateway config (a policy file alone names no issuers):
 *
 * - `groups:` when no issuer can give a caller groups that match. An issuer gives arbitrary
 *   groups when it reads a groups claim (`groupsClaim`, or the default `groups` claim of an
 *   issuer that names users from its subject); one that names users by a `username` template
 *   (a CI platform, a cluster) and has no `groupsClaim` gives only its `groups` templates, each
 *   read as a glob (`gh:{{repository_owner}}` → `gh:*`). A literal group is checked against
 *   those; a glob is given the benefit of the doubt.
 * - `claims:` keys no issuer lists in `contextClaims`: approvers, logs and recordings will not
 *   show the value the rule decided on, and a key no token carries matches nothing.
 *
 * Each warning reads `rules[i].match.<field>: <message>`, as policy errors do.
 */
export function identityWarnings(policy: CompiledPolicy, rawIssuers: readonly unknown[]): string[] {
  const issuers = rawIssuers.flatMap((raw) => {
    const parsed = issuerConfigSchema.safeParse(raw);
    return parsed.success ? [parsed.data] : [];
  });
  if (issuers.length === 0) return [];
  const anyGroups = issuers.some(readsGroupsClaim);
  const templated = issuers.flatMap(templateGroupPatterns);
  const contextClaims = new Set(issuers.flatMap((issuer) => issuer.contextClaims ?? []));
  const warnings: string[] = [];
  policy.rules.forEach((rule, index) => {
    const match = rule.match;
    if (!match) return;
    match.groups?.forEach((group, i) => {
      if (anyGroups || /[*?]/.test(group) || templated.some((pattern) => pattern.test(group))) return;
      warnings.push(
        `rules[${index}].match.groups[${i}]: no configured issuer gives callers the group ${JSON.stringify(group)} ` +
          '(no groups claim is read, and no groups template produces it), so this entry matches nobody; ' +
          'add a groups template to the issuer, e.g. groups: ["ci"]',
      );
    });
    for (const claim of Object.keys(match.claims ?? {})) {
      if (contextClaims.has(claim)) continue;
      warnings.push(
        `rules[${index}].match.claims.${claim}: no configured issuer lists ${JSON.stringify(claim)} in contextClaims, ` +
          'so approvers, logs and recordings will not show the value this rule decides on (and if no token carries ' +
          `the claim, the rule matches nothing); add it to the issuer's contextClaims`,
      );
    }
  });
  return warnings;
}

function readsGroupsClaim(issuer: IssuerConfig): boolean {
  return issuer.groupsClaim !== undefined || issuer.username === undefined;
}

/** Each groups template as a RegExp over the names it can produce (claims read as anything). */
function templateGroupPatterns(issuer: IssuerConfig): RegExp[] {
  return (issuer.groups ?? []).flatMap((source) => {
    const template = compileClaimTemplate(source);
    if ('problem' in template) return [];
    const glob = template.parts.map((part, i) => (i % 2 === 0 ? part.replace(/[*?]/g, '') : '*')).join('');
    return [new RegExp(`^${globSource((issuer.groupsPrefix ?? '') + glob)}$`, 'u')];
  });
}
