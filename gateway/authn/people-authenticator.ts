import type { Approver } from '../../src/approvals/review.types.ts';
import type { PeopleIssuerConfig } from '../../src/authn/people-config.ts';
import { ConfigError, unauthorized } from '../../src/errors.ts';
import { type AuthenticatorOptions, createAuthenticator } from './authenticator.ts';

/**
 * A person's bearer token → the {@link Approver} they decide as. The token is verified exactly as
 * an agent's is (authenticator.ts: signature, issuer, audience, algorithms, expiry), but against
 * the people issuer and audience only, and it must have been issued to the people client
 * (`azp` or `client_id`): an agent that talked the issuer into a token for the people audience
 * through its own client still cannot decide.
 *
 * The approver id is the token's e-mail when it has one, else its subject; approver rules match
 * any of id, subject and e-mail, and the groups claim gives the groups.
 */
export interface PeopleAuthenticator {
  authenticate(token: string): Promise<Approver>;
  ready(): Promise<void>;
}

export function createPeopleAuthenticator(
  people: PeopleIssuerConfig,
  options: AuthenticatorOptions = {},
): PeopleAuthenticator {
  let inner: ReturnType<typeof createAuthenticator>;
  try {
    const { clientId: _clientId, scopes: _scopes, emailClaim: _emailClaim, ...issuer } = people;
    inner = createAuthenticator([issuer], options);
  } catch (error) {
    throw error instanceof ConfigError
      ? new ConfigError(error.field.replace(/^issuers\[0\]/, 'authentication.people'), error.problem)
      : error;
  }
  return {
    ready: () => inner.ready(),
    async authenticate(token) {
      const caller = await inner.authenticate(token);
      const client = caller.claims['azp'] ?? caller.claims['client_id'];
      if (client !== people.clientId) {
        throw unauthorized(
          `this token was not issued to the sign-in client ${people.clientId}; sign in with \`hoop-gateway login\``,
        );
      }
      const email = caller.claims[people.emailClaim];
      const approver: Approver = {
        id: typeof email === 'string' && email !== '' ? email : caller.subject,
        groups: [...caller.groups],
        issuer: caller.issuer,
        subject: caller.subject,
      };
      if (typeof email === 'string' && email !== '') approver.email = email;
      return approver;
    },
  };
}
