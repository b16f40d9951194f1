import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { insecureUrlReason, isLoopbackUrl } from '../../src/authn/secure-url.ts';

/**
 * The agent side: obtain an access token for the gateway with the OAuth 2.0 client-credentials
 * grant (openid-client 6: discovery, then the token endpoint), asking for the gateway as the
 * RFC 8707 `resource` so the token's `aud` is the gateway's audience.
 *
 * Plain http is accepted only for loopback issuers (the local demo issuer); anything else must be
 * https, as on the gateway side. Failures are {@link TokenRequestError}s whose message is one
 * readable line naming the issuer and the OAuth error; the client secret never appears in it.
 */

export interface ClientCredentialsRequest {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The gateway's audience, sent as `resource`. */
  audience: string;
  /** Per HTTP request; default 10 s. */
  timeoutSeconds?: number;
}

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
}

export async function fetchClientCredentialsToken(request: ClientCredentialsRequest): Promise<AccessToken> {
  const reason = insecureUrlReason(request.issuer);
  if (reason) throw new TokenRequestError(`issuer ${request.issuer} ${reason}`);
  const issuerUrl = new URL(request.issuer);
  const insecure = issuerUrl.protocol === 'http:' && isLoopbackUrl(issuerUrl);
  let response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
  try {
    const config = await client.discovery(
      issuerUrl,
      request.clientId,
      undefined,
      client.ClientSecretBasic(request.clientSecret),
      {
        timeout: request.timeoutSeconds ?? 10,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      },
    );
    response = await client.clientCredentialsGrant(config, { resource: request.audience });
  } catch (error) {
    throw new TokenRequestError(`token request to ${request.issuer} failed: ${describeOAuthError(error)}`, {
      cause: error,
    });
  }
  return { token: response.access_token, expiresAt: expiryOf(response) };
}

/** The token's own `exp` when it is a JWT (what the gateway checks), else `expires_in`. */
function expiryOf(response: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): Date {
  try {
    const { exp } = decodeJwt(response.access_token);
    if (typeof exp === 'number') return new Date(exp * 1000);
  } catch {
    // Not a JWT: fall back to the token response.
  }
  const expiresIn = response.expiresIn();
  if (expiresIn === undefined) {
    throw new TokenRequestError('the issuer returned a token without an expiry; the gateway requires one');
  }
  return new Date(Date.now() + expiresIn * 1000);
}

/** OAuth error code and description when the issuer sent them, else the transport failure. */
export function describeOAuthError(error: unknown): string {
  if (error instanceof client.ResponseBodyError) {
    return [error.error, error.error_description].filter(Boolean).join(': ');
  }
  if (error instanceof client.WWWAuthenticateChallengeError) {
    const params = error.cause[0]?.parameters;
    const text = [params?.error, params?.error_description].filter(Boolean).join(': ');
    return text || `HTTP ${error.status}`;
  }
  if (error instanceof Error) {
    const detail = networkDetail(error);
    return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
  }
  return String(error);
}

/**
 * What fetch's "fetch failed" hides: the system error code (ECONNREFUSED, ENOTFOUND, CERT_…)
 * somewhere down the causes, else the innermost cause's message.
 */
function networkDetail(error: Error): string | undefined {
  let innermost: string | undefined;
  for (let current: unknown = error.cause, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
    innermost = current.message;
    current = current.cause;
  }
  return innermost;
}
