import { errors, type JWTPayload } from 'jose';
import type { ResolvedIssuerConfig } from '../../src/authn/issuer-config.ts';
import { StatusError, unauthorized } from '../../src/errors.ts';
import { IssuerUnavailableError } from './issuer-fetch.ts';

/**
 * Turns a verification failure into the Status the caller sees. Token problems are 401 with a
 * message that says what is wrong and what to do; the issuer being unreachable is 503 with
 * Retry-After (client-go retries a 5xx that carries one), because a fresh token would not help.
 *
 * Messages never contain the token. They may name the expected issuer and audience: those are
 * not secrets, they are in every agent's kubeconfig, and an agent cannot fix a mismatch it is
 * not told about. Branches are on jose's error classes, never on message text.
 */
export function verificationFailure(error: unknown, config: ResolvedIssuerConfig): StatusError {
  if (error instanceof StatusError) return error;
  if (error instanceof IssuerUnavailableError) return issuerUnavailable(config.issuer, error);
  if (error instanceof errors.JWTExpired) {
    return unauthorized(
      `token expired at ${formatTime(error.payload.exp)} (the gateway allows ${config.clockSkewSeconds}s ` +
        'of clock skew); fetch a new token from the issuer',
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) return claimFailure(error, config);
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return unauthorized(
      `token is signed with an algorithm the gateway does not accept for issuer ${config.issuer} ` +
        `(accepted: ${config.algorithms.join(', ')})`,
    );
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return unauthorized(
      `token was signed with a key that issuer ${config.issuer} does not publish (unknown kid, even after ` +
        'refreshing its keys); fetch a new token from the issuer',
    );
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return unauthorized(
      `token header does not identify one of issuer ${config.issuer}'s keys; it needs a kid`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthorized(`token signature does not verify with issuer ${config.issuer}'s published keys`);
  }
  if (error instanceof errors.JOSEError) {
    return unauthorized(`token is not a valid signed JWT (${error.code}); fetch a new token from the issuer`);
  }
  return new StatusError(500, 'InternalError', 'token verification failed unexpectedly', { cause: error });
}

function claimFailure(
  error: InstanceType<typeof errors.JWTClaimValidationFailed>,
  config: ResolvedIssuerConfig,
) {
  switch (error.claim) {
    case 'aud':
      return unauthorized(
        `token audience ${describeAudience(error.payload)} does not match this gateway's audience ` +
          `(${config.audience.join(', ')}); request the token for that audience (resource)`,
      );
    case 'nbf':
      return unauthorized(
        `token is not valid before ${formatTime(error.payload.nbf)}, beyond the gateway's ` +
          `${config.clockSkewSeconds}s clock-skew allowance; check the clocks of the issuer and the gateway`,
      );
    case 'exp':
      return unauthorized('token has no valid exp claim; the gateway only accepts tokens that expire');
    case 'iss':
      return unauthorized(`token issuer does not match ${config.issuer}`);
    default:
      return unauthorized(`token claim "${error.claim}" is invalid (${error.reason})`);
  }
}

/**
 * A token whose `iat` (issued at) is later than now plus the clock-skew allowance: its issuer's
 * clock (or the gateway's) is wrong, or the token was not minted the way it says. kube-apiserver
 * refuses these too; a fresh token from a correctly-timed issuer passes.
 */
export function issuedInTheFuture(iat: number, config: ResolvedIssuerConfig): StatusError {
  return unauthorized(
    `token claim "iat" says it was issued at ${formatTime(iat)}, in the future beyond the gateway's ` +
      `${config.clockSkewSeconds}s clock-skew allowance; check the clocks of issuer ${config.issuer} and ` +
      'the gateway, then fetch a new token',
  );
}

/**
 * 503 with Retry-After: the token may be fine, the gateway cannot check it right now. The reason
 * (which may name internal addresses) stays in `cause` for the gateway's log, not in the answer
 * to a caller not yet authenticated.
 */
export function issuerUnavailable(issuer: string, error: IssuerUnavailableError): StatusError {
  const retryAfterSeconds = Math.max(1, error.retryAfterSeconds ?? 5);
  return new StatusError(
    503,
    'ServiceUnavailable',
    `the gateway cannot fetch the signing keys of issuer ${issuer} to verify the token right now; ` +
      `retry in ${retryAfterSeconds}s`,
    { details: { retryAfterSeconds }, headers: { 'Retry-After': String(retryAfterSeconds) }, cause: error },
  );
}

function formatTime(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : 'an invalid time';
}

/** The audience the token carries, shortened: it is caller-supplied text going into a Status. */
function describeAudience(payload: JWTPayload): string {
  const aud = payload.aud;
  const list = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud];
  if (list.length === 0) return '(none)';
  return list
    .slice(0, 3)
    .map((a) => JSON.stringify(String(a).slice(0, 100)))
    .join(', ');
}
