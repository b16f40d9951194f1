/**
 * AWS Signature Version 4 verification, written from the published algorithm rather than with
 * the SDK's signer, so that the stand-in checks the AWS CLI's and the SDK's signatures the way
 * AWS does and not the way the code under test computes them. Both forms: query-presigned URLs
 * (X-Amz-Signature in the query) and header-signed requests (Authorization: AWS4-HMAC-SHA256 …).
 *
 * Test and demo equipment only: the keys it knows are test keys.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SigV4Request {
  method: string;
  /** The path as received (already percent-encoded). */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface SigV4Identity {
  accessKeyId: string;
  region: string;
  service: string;
  /** X-Amz-Date as epoch milliseconds. */
  signedAtMs: number;
  /** X-Amz-Security-Token, when the signer used temporary credentials. */
  sessionToken: string | undefined;
  signedHeaders: string[];
  presigned: boolean;
}

export type SigV4ErrorCode =
  | 'IncompleteSignature'
  | 'SignatureDoesNotMatch'
  | 'InvalidClientTokenId'
  | 'MissingAuthenticationToken';

export class SigV4Error extends Error {
  readonly code: SigV4ErrorCode;
  constructor(code: SigV4ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The claimed identity of a signed request, before the signature is checked. */
export function parseSigV4(req: SigV4Request): SigV4Identity & { signature: string } {
  const q = req.query;
  const presigned = q.has('X-Amz-Signature');
  let credential: string;
  let signedHeaders: string;
  let signature: string;
  let amzDate: string | undefined;
  let sessionToken: string | undefined;
  if (presigned) {
    if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
      throw new SigV4Error('IncompleteSignature', 'unsupported algorithm');
    credential = q.get('X-Amz-Credential') ?? '';
    signedHeaders = q.get('X-Amz-SignedHeaders') ?? '';
    signature = q.get('X-Amz-Signature') ?? '';
    amzDate = q.get('X-Amz-Date') ?? undefined;
    sessionToken = q.get('X-Amz-Security-Token') ?? undefined;
  } else {
    const auth = header(req, 'authorization');
    if (!auth) throw new SigV4Error('MissingAuthenticationToken', 'Request is missing Authentication Token');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
        auth,
      );
    if (!match) throw new SigV4Error('IncompleteSignature', 'Authorization header is not AWS4-HMAC-SHA256');
    [, credential = '', signedHeaders = '', signature = ''] = match;
    amzDate = header(req, 'x-amz-date');
    sessionToken = header(req, 'x-amz-security-token');
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request')
    throw new SigV4Error('IncompleteSignature', 'malformed credential scope');
  const [accessKeyId = '', date = '', region = '', service = ''] = scope;
  const dateMatch = amzDate ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate) : null;
  if (!dateMatch || !amzDate?.startsWith(date))
    throw new SigV4Error('IncompleteSignature', 'missing or inconsistent X-Amz-Date');
  const [, y, mo, d, h, mi, s] = dateMatch.map(Number) as number[];
  const signedAtMs = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return {
    accessKeyId,
    region,
    service,
    signedAtMs,
    sessionToken,
    signedHeaders: signedHeaders.split(';'),
    presigned,
    signature,
  };
}

/** Throws SigV4Error unless `req` carries a valid signature made with `secretAccessKey`. */
export function verifySigV4(req: SigV4Request, secretAccessKey: string): SigV4Identity {
  const parsed = parseSigV4(req);
  if (!parsed.signedHeaders.includes('host'))
    throw new SigV4Error('IncompleteSignature', 'the host header must be signed');
  const amzDate = parsed.presigned ? req.query.get('X-Amz-Date')! : header(req, 'x-amz-date')!;
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${parsed.region}/${parsed.service}/aws4_request`;
  const key = [date, parsed.region, parsed.service, 'aws4_request'].reduce<Buffer>(
    (k, part) => hmac(k, part),
    Buffer.from(`AWS4${secretAccessKey}`),
  );
  const payloadHashes = parsed.presigned
    ? [sha256Hex(req.body), 'UNSIGNED-PAYLOAD']
    : [header(req, 'x-amz-content-sha256') ?? sha256Hex(req.body)];
  for (const payloadHash of payloadHashes) {
    const canonical = canonicalRequest(req, parsed.signedHeaders, parsed.presigned, payloadHash);
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(Buffer.from(canonical))].join('\n');
    const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
    const given = Buffer.from(parsed.signature);
    if (expected.length === given.length && timingSafeEqual(expected, given)) {
      const { signature: _signature, ...identity } = parsed;
      return identity;
    }
  }
  throw new SigV4Error(
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  );
}

function canonicalRequest(
  req: SigV4Request,
  signedHeaders: string[],
  presigned: boolean,
  payloadHash: string,
): string {
  const pairs = [...req.query].filter(([name]) => !(presigned && name === 'X-Amz-Signature'));
  const query = pairs
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const path = req.path
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .map((segment) => uriEncode(segment))
    .join('/');
  return [req.method, path || '/', query, headers, signedHeaders.join(';'), payloadHash].join('\n');
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters kept, everything else %XX upper case. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function header(req: SigV4Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
