import type { JWTPayload } from 'jose';
import type { Caller } from '../../src/authn/caller.ts';
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
 * The returned caller is frozen: it is cached and shared between requests with the same token.
 */
export function callerFromClaims(claims: JWTPayload, config: ResolvedIssuerConfig): Caller {
  const rawSubject = claims[config.subjectClaim];
  if (typeof rawSubject !== 'string' || rawSubject.trim() === '') {
    throw unauthorized(
      `token has no "${config.subjectClaim}" claim (a non-empty string) to name the caller; ` +
        `issuer ${config.issuer} must put the agent's identity there`,
    );
  }
  const groups = parseGroups(claims[config.groupsClaim], config).map((g) => config.groupsPrefix + g);
  return Object.freeze({
    issuer: config.issuer,
    subject: config.usernamePrefix + rawSubject,
    groups: Object.freeze([...new Set(groups)]) as string[],
    claims: Object.freeze({ ...claims }),
  });
}

/** An array of strings, or one string separated by spaces and/or commas; absent means none. */
function parseGroups(value: unknown, config: ResolvedIssuerConfig): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  if (Array.isArray(value) && value.every((g): g is string => typeof g === 'string')) {
    return value.filter((g) => g !== '');
  }
  throw unauthorized(
    `token claim "${config.groupsClaim}" must be a list of strings or a space- or comma-separated string`,
  );
}
