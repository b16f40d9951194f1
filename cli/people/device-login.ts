import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { insecureUrlReason, isLoopbackUrl } from '../../src/authn/secure-url.ts';
import { describeOAuthError, TokenRequestError } from '../credentials/client-credentials.ts';

/**
 * A person signing in from a terminal: the OAuth 2.0 device authorization grant (RFC 8628) with
 * openid-client 6, against the people issuer the gateway names (`GET /hoop/v1/login`). The person
 * opens the verification URI on any device, enters the code, signs in at their identity provider;
 * this polls the token endpoint until they have. The gateway's people audience is requested as
 * the RFC 8707 `resource`, so the access token is for the approvals API and nothing else.
 *
 * Plain http is accepted only for a loopback issuer (the local demo issuer), as everywhere else.
 */
export interface PeopleIssuer {
  issuer: string;
  clientId: string;
  audience: string;
  scopes: string[];
}

export interface TokenSet {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  refreshToken?: string;
}

export interface DevicePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresInSeconds: number;
}

export async function deviceLogin(
  issuer: PeopleIssuer,
  prompt: (prompt: DevicePrompt) => void,
  signal?: AbortSignal,
): Promise<TokenSet> {
  const config = await configure(issuer);
  try {
    const device = await client.initiateDeviceAuthorization(config, {
      scope: issuer.scopes.join(' '),
      resource: issuer.audience,
    });
    prompt({
      verificationUri: device.verification_uri,
      ...(device.verification_uri_complete
        ? { verificationUriComplete: device.verification_uri_complete }
        : {}),
      userCode: device.user_code,
      expiresInSeconds: device.expires_in,
    });
    const tokens = await client.pollDeviceAuthorizationGrant(
      config,
      device,
      { resource: issuer.audience },
      signal ? { signal } : {},
    );
    return tokenSet(tokens);
  } catch (error) {
    throw new TokenRequestError(`signing in at ${issuer.issuer} failed: ${describeOAuthError(error)}`, {
      cause: error,
    });
  }
}

/** New tokens for a refresh token (rotated when the issuer rotates it). */
export async function refreshLogin(issuer: PeopleIssuer, refreshToken: string): Promise<TokenSet> {
  const config = await configure(issuer);
  try {
    const tokens = await client.refreshTokenGrant(config, refreshToken, { resource: issuer.audience });
    const set = tokenSet(tokens);
    return set.refreshToken ? set : { ...set, refreshToken };
  } catch (error) {
    throw new TokenRequestError(
      `refreshing the sign-in at ${issuer.issuer} failed: ${describeOAuthError(error)}`,
      {
        cause: error,
      },
    );
  }
}

async function configure(issuer: PeopleIssuer): Promise<client.Configuration> {
  const reason = insecureUrlReason(issuer.issuer);
  if (reason) throw new TokenRequestError(`issuer ${issuer.issuer} ${reason}`);
  const url = new URL(issuer.issuer);
  const insecure = url.protocol === 'http:' && isLoopbackUrl(url);
  try {
    return await client.discovery(url, issuer.clientId, undefined, client.None(), {
      timeout: 10,
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    throw new TokenRequestError(`cannot discover ${issuer.issuer}: ${describeOAuthError(error)}`, {
      cause: error,
    });
  }
}

function tokenSet(tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): TokenSet {
  let expiresAt: number | undefined;
  try {
    const { exp } = decodeJwt(tokens.access_token);
    if (typeof exp === 'number') expiresAt = exp * 1000;
  } catch {
    // An opaque token: the response's expires_in says.
  }
  expiresAt ??= Date.now() + (tokens.expiresIn() ?? 300) * 1000;
  return {
    accessToken: tokens.access_token,
    expiresAt,
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
  };
}
