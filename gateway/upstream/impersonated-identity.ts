import type { Caller } from '../../src/authn/caller.ts';
import { identityValueProblem } from '../../src/authn/identity-value.ts';
import type { IdentityMapping } from '../runtime.ts';

/**
 * The identity the gateway impersonates upstream for a caller: the one source of truth for the
 * `Impersonate-User`/`Impersonate-Group` headers (headers.ts) and for what `kubectl auth whoami`
 * answers (self-reviews), so the two can never disagree.
 *
 * The user is `userPrefix` + subject. Groups from a token never include `system:` ones
 * (system:masters would be cluster-admin): an issuer, or whoever controls a claim, must not be
 * able to mint cluster-level privileges. The check is on the exact value sent, which sendable()
 * guarantees the cluster reads unchanged. Groups the operator configures (extraGroups) are taken
 * as written. Duplicates are dropped, order kept.
 */
export function impersonatedIdentity(
  caller: Caller,
  identity: IdentityMapping,
): { user: string; groups: string[] } {
  const tokenGroups = caller.groups
    .map((g) => sendable(identity.groupPrefix + g))
    .filter((g) => !g.startsWith('system:'));
  return {
    user: sendable(identity.userPrefix + caller.subject),
    groups: [...new Set([...tokenGroups, ...identity.extraGroups.map(sendable)])],
  };
}

/**
 * An identity value exactly as the cluster will read it, or a thrown error. Authentication and
 * the config schema already refuse unusable values (identity-value.ts); this is the last guard
 * before a header line, so a value a parser would trim or split can never be sent, whatever path
 * it came by.
 */
function sendable(value: string): string {
  const problem = identityValueProblem(value);
  if (problem) throw new Error(`refusing to send an impersonated identity that ${problem}`);
  return value;
}
