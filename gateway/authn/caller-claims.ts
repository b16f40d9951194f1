import type { JWTPayload } from 'jose';
import type { Caller } from '../../src/authn/caller.ts';
import { claimAt, claimText } from '../../src/authn/claim-path.ts';
import { renderClaimTemplate } from '../../src/authn/claim-template.ts';
import { identityValueProblem } from '../../src/authn/identity-value.ts';
import type { ResolvedIssuerConfig } from '../../src/authn/issuer-config.ts';
import { unauthorized } from '../../src/errors.ts';

/**
 * Maps the claims of a verified token to the {@link Caller}, as kube-apiserver's OIDC
 * authenticator does: subject from `subjectClaim` with `usernamePrefix`, groups from
 * `groupsClaim` with `groupsPrefix`. The prefixes are applied here, once, so that policy rules,
 * impersonation headers and recordings all see the same names.
 *
 * A token without a usable subject is refused (401): a request nobody can be held accountable
 * for must not reach the cluster. A malformed groups claim is refused too rather than ignored,
 * because silently dropping groups hides an issuer misconfiguration.
 *
 * The subject and every group, prefixes included, become `Impersonate-*` header values upstream,
 * so each must be exactly what the cluster will read (identity-value.ts): a value with control
 * characters, whitespace at either end or nothing at all is refused with a 401 naming the claim,
 * never trimmed or dropped, since the gateway's `system:` checks compare the exact value sent.
 *
 * With templates (`username`, `groups`: CI tokens have no user or groups of their own) the names
 * are built from claims instead (claim-template.ts): a username naming a claim the token lacks is a
 * 401 naming that claim; a group template naming one yields no group, so `env:{{environment}}`
 * simply does not apply to a job without an environment. Rendered names pass the same checks.
 * The issuer's `contextClaims` are copied, as text, into `context`.
 *
 * The returned caller is frozen: it is cached and shared between requests with the same token.
 */
export function callerFromClaims(claims: JWTPayload, config: ResolvedIssuerConfig): Caller {
  const { claim, value: rawSubject } = rawSubjectOf(claims, config);
  const subject = config.usernamePrefix + rawSubject;
  refuseUnusable(claim, rawSubject, problemOf(rawSubject, subject), config);
  const rawGroups = parseGroups(claims[config.groupsClaim], config);
  const groups = rawGroups.map((g) => config.groupsPrefix + g);
  rawGroups.forEach((raw, index) => {
    refuseUnusable(config.groupsClaim, raw, problemOf(raw, groups[index] ?? raw), config, index);
  });
  for (const template of config.groupTemplates) {
    const rendered = renderClaimTemplate(template, claims);
    if (!('value' in rendered)) continue;
    const group = config.groupsPrefix + rendered.value;
    refuseUnusable(
      `groups template ${template.source}`,
      rendered.value,
      problemOf(rendered.value, group),
      config,
    );
    groups.push(group);
  }
  const caller: Caller = {
    issuer: config.issuer,
    subject,
    groups: Object.freeze([...new Set(groups)]) as string[],
    claims: Object.freeze({ ...claims }),
  };
  const context = contextOf(claims, config);
  if (context) caller.context = context;
  return Object.freeze(caller);
}

/** The subject before the prefix: the `username` template rendered, or the subject claim. */
function rawSubjectOf(claims: JWTPayload, config: ResolvedIssuerConfig): { claim: string; value: string } {
  if (config.username) {
    const rendered = renderClaimTemplate(config.username, claims);
    if ('missing' in rendered) {
      throw unauthorized(
        `token has no "${rendered.missing}" claim (a non-empty string or number), which the ` +
          `username template ${JSON.stringify(config.username.source)} of issuer ${config.issuer} ` +
          'needs to name the caller; request a token that carries it, or ask the platform team to change the template',
      );
    }
    return { claim: `username template ${config.username.source}`, value: rendered.value };
  }
  const rawSubject = claims[config.subjectClaim];
  if (typeof rawSubject !== 'string' || rawSubject.trim() === '') {
    throw unauthorized(
      `token has no "${config.subjectClaim}" claim (a non-empty string) to name the caller; ` +
        `issuer ${config.issuer} must put the agent's identity there`,
    );
  }
  return { claim: config.subjectClaim, value: rawSubject };
}

/** Longest context value kept: context goes into log lines, Redis and recordings. */
const MAX_CONTEXT_LENGTH = 256;

/** The configured context claims the token carries, as text; undefined when none. */
function contextOf(
  claims: JWTPayload,
  config: ResolvedIssuerConfig,
): Readonly<Record<string, string>> | undefined {
  const context: Record<string, string> = {};
  for (const path of config.contextClaims) {
    const text = claimText(claimAt(claims, path));
    if (text !== undefined) context[path] = text.slice(0, MAX_CONTEXT_LENGTH);
  }
  return Object.keys(context).length > 0 ? Object.freeze(context) : undefined;
}

/** An array of strings, or one string separated by spaces and/or commas; absent means none. */
function parseGroups(value: unknown, config: ResolvedIssuerConfig): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  if (Array.isArray(value) && value.every((g): g is string => typeof g === 'string')) return value;
  throw unauthorized(
    `token claim "${config.groupsClaim}" must be a list of strings or a space- or comma-separated string`,
  );
}

/** The claim's own value and the prefixed one must both be usable (a prefix hides a leading space). */
function problemOf(raw: string, prefixed: string): string | undefined {
  return identityValueProblem(raw) ?? identityValueProblem(prefixed);
}

/**
 * 401 for a claim value the gateway cannot send upstream as it is. The value is quoted
 * JSON-escaped and shortened: it is caller-controlled text going into a Status and a log line.
 */
function refuseUnusable(
  claim: string,
  value: string,
  problem: string | undefined,
  config: ResolvedIssuerConfig,
  index?: number,
): void {
  if (!problem) return;
  const which = index === undefined ? '' : ` entry ${index}`;
  throw unauthorized(
    `token claim "${claim}"${which} (${JSON.stringify(value.slice(0, 100))}) ${problem}, so it cannot be ` +
      'passed to the cluster as an impersonated identity: cluster HTTP parsers would read a different ' +
      `name than the gateway checked. The gateway refuses the token rather than guess; issuer ` +
      `${config.issuer} must issue identity values without control characters or surrounding whitespace`,
  );
}
