import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { type IssuerConfig, issuerConfigSchema } from './issuer-config.ts';

/**
 * `authentication.people`: the OpenID issuer people sign in with to decide reviews
 * (`hoop-gateway login`, the approvals API). Separate from the agents' `issuers` on purpose: a
 * person's token has its own audience and is obtained through its own (public) client with the
 * device authorization grant, so an agent's token can never decide a review and a person's token
 * can never call a cluster.
 *
 * ```yaml
 * authentication:
 *   issuers: [ { issuer: https://idp.example.com, audience: https://hoop.example.com } ]  # agents
 *   people:
 *     issuer: https://idp.example.com
 *     audience: https://hoop.example.com/approvals   # must differ from the agents' audience
 *     clientId: hoop-gateway-cli                     # public client with the device grant
 *     scopes: [openid, email, profile, offline_access]   # default
 *     groupsClaim: groups                            # default
 *     emailClaim: email                              # default
 * ```
 * Every other field of an issuer entry (algorithms, clockSkewSeconds, caFile, …) applies too.
 */
export interface PeopleIssuerConfig extends IssuerConfig {
  clientId: string;
  scopes: string[];
  emailClaim: string;
}

export const DEFAULT_PEOPLE_SCOPES = ['openid', 'email', 'profile', 'offline_access'];

export const peopleIssuerSchema = issuerConfigSchema.extend({
  clientId: z.string().min(1),
  scopes: z.array(z.string().min(1)).min(1).default(DEFAULT_PEOPLE_SCOPES),
  emailClaim: z.string().min(1).default('email'),
});

/** Validates `authentication.people` and refuses an audience the agents' issuers also accept. */
export function parsePeopleIssuer(raw: unknown, agents: IssuerConfig[]): PeopleIssuerConfig | undefined {
  if (raw === undefined) return undefined;
  const parsed = peopleIssuerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
    throw new ConfigError(`authentication.people${path}`, issue?.message ?? 'invalid');
  }
  const people = parsed.data as PeopleIssuerConfig;
  const audiences = (config: IssuerConfig) =>
    typeof config.audience === 'string' ? [config.audience] : config.audience;
  for (const agent of agents) {
    if (agent.issuer !== people.issuer) continue;
    const shared = audiences(people).filter((aud) => audiences(agent).includes(aud));
    if (shared.length > 0) {
      throw new ConfigError(
        'authentication.people.audience',
        `${shared[0]} is also an agents' audience of ${agent.issuer}: give people their own audience, so an agent's token can never decide a review`,
      );
    }
  }
  return people;
}
