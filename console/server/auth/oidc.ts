import * as client from 'openid-client';
import type { PeopleIssuerConfig } from '../../../src/authn/people-config.ts';
import { insecureUrlReason, isLoopbackUrl } from '../../../src/authn/secure-url.ts';
import { serviceUnavailable } from '../../../src/errors.ts';

/**
 * The console as an OpenID client of the people issuer (openid-client 6): authorization code
 * with PKCE (S256), a nonce and a state, the access token requested for the people audience
 * (RFC 8707 `resource`), so the token the console verifies is the one `hoop-gateway login`
 * gets and the approvals API accepts. A confidential client (`console.clientSecret`) also
 * authenticates at the token endpoint; the default reuses the people client, which is public.
 */
export interface ConsoleOidcOptions {
  people: PeopleIssuerConfig;
  clientId: string;
  clientSecret: string | undefined;
  redirectUri: string;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken?: string;
  /** When the access token expires (epoch ms). */
  expiresAt: number;
  /** The person's display name from the ID token, when it has one. */
  name?: string;
}

export interface ConsoleOidc {
  /** Where to send the browser; `state`, `nonce` and the verifier's challenge bind the callback. */
  authorizationUrl(input: { state: string; nonce: string; verifier: string }): Promise<URL>;
  /** Redeems the code of `callbackUrl` (the full URL the browser came back on). */
  redeem(callbackUrl: URL, checks: { state: string; nonce: string; verifier: string }): Promise<IssuedTokens>;
  refresh(refreshToken: string): Promise<IssuedTokens>;
  /** The issuer's end-session URL, when it has one. */
  endSessionUrl(): Promise<string | undefined>;
}

export function createConsoleOidc(options: ConsoleOidcOptions): ConsoleOidc {
  const { people } = options;
  let configuration: Promise<client.Configuration> | undefined;
  const configure = (): Promise<client.Configuration> => {
    configuration ??= discover(options).catch((error: unknown) => {
      configuration = undefined; // try again next time: the issuer may be starting
      throw error;
    });
    return configuration;
  };
  // The first audience is the one tokens are requested for (the approvals API's).
  const audience = typeof people.audience === 'string' ? people.audience : (people.audience[0] ?? '');
  const resource = { resource: audience };
  return {
    async authorizationUrl({ state, nonce, verifier }) {
      const config = await configure();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: people.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...resource,
      });
    },
    async redeem(callbackUrl, checks) {
      const config = await configure();
      const tokens = await client.authorizationCodeGrant(
        config,
        callbackUrl,
        { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce },
        resource,
      );
      return issued(tokens);
    },
    async refresh(refreshToken) {
      return issued(await client.refreshTokenGrant(await configure(), refreshToken, resource));
    },
    async endSessionUrl() {
      const config = await configure().catch(() => undefined);
      if (!config?.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(config, { client_id: options.clientId }).toString();
    },
  };
}

async function discover(options: ConsoleOidcOptions): Promise<client.Configuration> {
  const { people } = options;
  const reason = insecureUrlReason(people.issuer);
  if (reason) throw serviceUnavailable(`the people issuer ${people.issuer} ${reason}`);
  const url = new URL(people.issuer);
  const insecure = url.protocol === 'http:' && isLoopbackUrl(url);
  const auth = options.clientSecret ? client.ClientSecretPost(options.clientSecret) : client.None();
  try {
    return await client.discovery(url, options.clientId, undefined, auth, {
      timeout: 10,
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    });
  } catch {
    throw serviceUnavailable(`cannot reach the sign-in issuer ${people.issuer}; try again shortly`);
  }
}

function issued(tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): IssuedTokens {
  const claims = tokens.claims();
  const name = typeof claims?.['name'] === 'string' ? claims['name'] : undefined;
  return {
    accessToken: tokens.access_token,
    expiresAt: Date.now() + (tokens.expiresIn() ?? 300) * 1000,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    ...(name ? { name } : {}),
  };
}
