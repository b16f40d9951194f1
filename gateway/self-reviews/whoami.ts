import type { Caller } from '../../src/authn/caller.ts';
import type { IdentityMapping } from '../runtime.ts';
import { impersonatedIdentity } from '../upstream/impersonated-identity.ts';

/** The prefix of the `extra` keys whoami shows: where the identity came from. */
export const EXTRA_PREFIX = 'hoop-gateway/';

/**
 * The `status` of a SelfSubjectReview (`kubectl auth whoami`) for a caller: the identity the
 * gateway impersonates upstream, exactly as it sends it (impersonated-identity.ts), plus
 * `system:authenticated`, which kube-apiserver adds to every impersonated user. `extra` says
 * where it came from: `hoop-gateway/issuer` and one `hoop-gateway/<claim>` per context claim.
 */
export function selfSubjectReviewStatus(caller: Caller, identity: IdentityMapping): Record<string, unknown> {
  const { user, groups } = impersonatedIdentity(caller, identity);
  const extra: Record<string, string[]> = { [`${EXTRA_PREFIX}issuer`]: [caller.issuer] };
  for (const [claim, value] of Object.entries(caller.context ?? {}))
    extra[`${EXTRA_PREFIX}${claim}`] = [value];
  return {
    userInfo: {
      username: user,
      groups: groups.includes('system:authenticated') ? groups : [...groups, 'system:authenticated'],
      extra,
    },
  };
}
