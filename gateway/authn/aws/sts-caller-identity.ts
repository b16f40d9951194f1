import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Sends a presigned GetCallerIdentity URL to STS, exactly as it is, with the `x-k8s-aws-id`
 * header the signature must cover and `Accept: application/json` (as EKS's authenticator does),
 * and reads back the caller's ARN. Only this module touches the URL on the wire; nothing here
 * puts it, or any part of it, into an error (it is a bearer credential for 15 minutes).
 *
 * `connectTo` (tests only) sends the request to another origin with the Host header unchanged,
 * so a stand-in can check a signature made for AWS's own host.
 */

export interface CallerIdentity {
  arn: string;
  accountId: string;
  userId: string;
}

/** STS said no (4xx): the token is bad. `code` is STS's error code (e.g. SignatureDoesNotMatch). */
export class StsRejectedError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(`STS refused the token (${code})`);
    this.code = code;
  }
}

/** STS could not answer (network, timeout, 5xx, nonsense): the token may be fine. */
export class StsUnavailableError extends Error {}

const MAX_RESPONSE_BYTES = 64 * 1024;

export function getCallerIdentity(
  url: URL,
  clusterId: string,
  options: { timeoutMs: number; connectTo?: URL | undefined },
): Promise<CallerIdentity> {
  const target = options.connectTo ?? url;
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: target.protocol,
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || (target.protocol === 'https:' ? 443 : 80),
        ...(options.connectTo && target.protocol === 'https:' ? { servername: url.hostname } : {}),
        method: 'GET',
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'x-k8s-aws-id': clusterId, accept: 'application/json' },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new StsUnavailableError('STS answered with an oversized body'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => reject(new StsUnavailableError(`STS response failed: ${error.message}`)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          if (status === 200) {
            const identity = parseIdentity(text);
            return identity
              ? resolve(identity)
              : reject(new StsUnavailableError('STS answered 200 without an ARN'));
          }
          if (status >= 400 && status < 500 && status !== 429)
            return reject(new StsRejectedError(errorCode(text)));
          reject(new StsUnavailableError(`STS answered ${status} (${errorCode(text)})`));
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new StsUnavailableError(`STS did not answer within ${options.timeoutMs}ms`)),
    );
    req.on('error', (error) =>
      reject(
        error instanceof StsUnavailableError
          ? error
          : new StsUnavailableError(`cannot reach STS: ${safeMessage(error)}`),
      ),
    );
    req.end();
  });
}

function parseIdentity(text: string): CallerIdentity | undefined {
  try {
    const body = JSON.parse(text) as {
      GetCallerIdentityResponse?: {
        GetCallerIdentityResult?: { Arn?: unknown; Account?: unknown; UserId?: unknown };
      };
    };
    const result = body.GetCallerIdentityResponse?.GetCallerIdentityResult;
    if (typeof result?.Arn !== 'string') return undefined;
    return {
      arn: result.Arn,
      accountId: typeof result.Account === 'string' ? result.Account : '',
      userId: typeof result.UserId === 'string' ? result.UserId : '',
    };
  } catch {
    return undefined;
  }
}

/** STS's error code from a JSON or XML error body, limited to a plain identifier. */
function errorCode(text: string): string {
  let code: unknown;
  try {
    code = (JSON.parse(text) as { Error?: { Code?: unknown } }).Error?.Code;
  } catch {
    code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  }
  return typeof code === 'string' && /^[A-Za-z.]{1,64}$/.test(code) ? code : 'unknown error';
}

/** A network error's code or message, which never contains the request's path or query. */
function safeMessage(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.message.slice(0, 200);
}
