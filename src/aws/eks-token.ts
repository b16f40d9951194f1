/**
 * The EKS bearer token, as `aws eks get-token` and aws-iam-authenticator make it:
 * `k8s-aws-v1.` + base64url (no padding) of a presigned STS `GetCallerIdentity` URL whose
 * signature covers the `x-k8s-aws-id` header (the cluster's name, here the gateway's id).
 *
 * {@link parseEksToken} checks everything that can be checked without asking STS, so that the
 * gateway only ever sends STS a URL of STS's own shape, on an allow-listed host, that is fresh
 * and bound to this gateway's id. The signature itself only STS can check (it knows the secret
 * keys): the caller sends the URL back to STS with the `x-k8s-aws-id` header it expects; a token
 * presigned for another cluster then fails there, because that header is part of the signature.
 *
 * Used by the gateway's AWS authenticator and by the sandbox's EKS mode (which mimics EKS).
 * Messages never contain the token or any part of the signature.
 */

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';

/** STS accepts a presigned GetCallerIdentity URL for 15 minutes from X-Amz-Date, as EKS does. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;

/** Far above any real token (3-4 KiB with a session token); bounds the work per request. */
const MAX_TOKEN_LENGTH = 16 * 1024;

/** The query parameters a presigned GetCallerIdentity URL may carry; anything else is refused. */
const ALLOWED_PARAMETERS = new Set([
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
  'X-Amz-User-Agent',
]);

/** The global endpoint and the regional ones (incl. FIPS and China), on the default port. */
const STS_HOST = /^sts(-fips)?(\.[a-z]{2}(-[a-z]+)+-\d{1,2})?\.amazonaws\.com(\.cn)?$/;

export class EksTokenError extends Error {}

export interface EksTokenRules {
  /** The value `x-k8s-aws-id` must carry: the cluster's name (for the gateway, its gatewayId). */
  clusterId: string;
  /**
   * Extra STS origins accepted besides AWS's own hosts (e.g. `http://127.0.0.1:4566`), for tests
   * and stand-ins only; compared as origins (scheme, host and port).
   */
  extraOrigins?: readonly string[];
  /** How far in the future X-Amz-Date may be (clock skew); default 60 s. */
  skewMs?: number;
  /** Clock, for tests. */
  now?: number;
}

export interface ParsedEksToken {
  /** The presigned URL, to be sent to STS exactly as it is. */
  url: URL;
  /** When the signature was made (X-Amz-Date). */
  signedAtMs: number;
  /** When STS stops accepting it: X-Amz-Date + 15 minutes. */
  expiresAtMs: number;
}

/** True for AWS's STS hosts: `sts.amazonaws.com`, `sts.<region>.amazonaws.com`, FIPS and China. */
export function isAwsStsHost(hostname: string): boolean {
  return STS_HOST.test(hostname);
}

/** Parses and checks a `k8s-aws-v1.` token; throws EksTokenError saying what is wrong. */
export function parseEksToken(token: string, rules: EksTokenRules): ParsedEksToken {
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw new EksTokenError('token is not an EKS token (k8s-aws-v1.)');
  if (token.length > MAX_TOKEN_LENGTH) throw new EksTokenError('EKS token is too large');
  const encoded = token.slice(EKS_TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) {
    throw new EksTokenError('EKS token is not base64url without padding after "k8s-aws-v1."');
  }
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    throw new EksTokenError('EKS token does not contain a URL');
  }
  checkOrigin(url, rules.extraOrigins ?? []);
  if (url.pathname !== '/' || url.username || url.password || url.hash) {
    throw new EksTokenError('EKS token URL is not an STS GetCallerIdentity URL (path "/", no credentials)');
  }
  const params = singleParameters(url.searchParams);
  if (params.get('Action') !== 'GetCallerIdentity') {
    throw new EksTokenError('EKS token URL must call Action=GetCallerIdentity');
  }
  const version = params.get('Version');
  if (version !== undefined && version !== '2011-06-15') {
    throw new EksTokenError('EKS token URL has an unknown STS Version');
  }
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    throw new EksTokenError('EKS token URL is not signed with AWS4-HMAC-SHA256 (query presigning)');
  }
  for (const name of ['X-Amz-Credential', 'X-Amz-Signature']) {
    if (!params.get(name)) throw new EksTokenError(`EKS token URL has no ${name}`);
  }
  const signed = (params.get('X-Amz-SignedHeaders') ?? '').split(';');
  for (const header of ['host', 'x-k8s-aws-id']) {
    if (!signed.includes(header)) {
      throw new EksTokenError(
        `EKS token URL does not sign the ${header} header; make the token with ` +
          `\`aws eks get-token --cluster-name ${rules.clusterId}\``,
      );
    }
  }
  const expires = params.get('X-Amz-Expires');
  if (!expires || !/^\d{1,4}$/.test(expires) || Number(expires) < 1 || Number(expires) > 900) {
    throw new EksTokenError('EKS token URL must carry X-Amz-Expires between 1 and 900 seconds');
  }
  const signedAtMs = amzDateMs(params.get('X-Amz-Date'));
  const now = rules.now ?? Date.now();
  const expiresAtMs = signedAtMs + EKS_TOKEN_LIFETIME_MS;
  if (signedAtMs > now + (rules.skewMs ?? 60_000)) {
    throw new EksTokenError(
      `EKS token is signed in the future (${new Date(signedAtMs).toISOString()}); check the clocks of the agent and the gateway`,
    );
  }
  if (expiresAtMs <= now) {
    throw new EksTokenError(
      `EKS token expired at ${new Date(expiresAtMs).toISOString()} (15 minutes after it was signed); ` +
        'make a new one with `aws eks get-token`',
    );
  }
  return { url, signedAtMs, expiresAtMs };
}

function checkOrigin(url: URL, extraOrigins: readonly string[]): void {
  if (extraOrigins.some((origin) => new URL(origin).origin === url.origin)) return;
  if (url.protocol === 'https:' && url.port === '' && isAwsStsHost(url.hostname)) return;
  throw new EksTokenError(
    `EKS token URL points at ${JSON.stringify(url.host.slice(0, 100))}, which is not an AWS STS endpoint ` +
      '(sts.amazonaws.com or sts.<region>.amazonaws.com over https)',
  );
}

/** The query as a map, refusing unknown and repeated parameters (no ambiguity about what STS reads). */
function singleParameters(query: URLSearchParams): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of query) {
    if (!ALLOWED_PARAMETERS.has(name)) {
      throw new EksTokenError(
        `EKS token URL carries an unexpected parameter ${JSON.stringify(name.slice(0, 50))}`,
      );
    }
    if (params.has(name)) throw new EksTokenError(`EKS token URL repeats the parameter ${name}`);
    params.set(name, value);
  }
  return params;
}

/** `20240102T030405Z` → epoch milliseconds. */
function amzDateMs(value: string | undefined): number {
  const match = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!match) throw new EksTokenError('EKS token URL has no valid X-Amz-Date');
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== d)
    throw new EksTokenError('EKS token URL has no valid X-Amz-Date');
  return ms;
}
