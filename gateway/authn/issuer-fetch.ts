import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ConfigError } from '../../src/errors.ts';

/**
 * The one way the gateway reads from an OpenID issuer (discovery document and JWKS): a GET that
 * resolves only to a complete 200 response of bounded size and otherwise throws
 * {@link IssuerUnavailableError}. Keeping "the issuer could not be read" apart from "the token is
 * bad" lets the authenticator answer 503 (retry later) for the first and 401 for the second
 * without looking at error text. Redirects are not followed: key material comes from exactly the
 * URL that was configured or discovered.
 *
 * Its signature fits jose's `customFetch` option, so createRemoteJWKSet uses it too.
 */
export type IssuerFetch = (
  url: string,
  init?: { headers?: Headers | Record<string, string>; signal?: AbortSignal },
) => Promise<Response>;

/** The issuer's discovery document or keys could not be fetched (network, timeout, non-200). */
export class IssuerUnavailableError extends Error {
  override name = 'IssuerUnavailableError';
  /** When the gateway will try the issuer again, if it is backing off. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Discovery documents and key sets are a few KiB; anything near this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface IssuerFetchOptions {
  /** PEM CA bundle to trust instead of the system store (read once, now). */
  caFile?: string | undefined;
  /** Names the caFile setting in the ConfigError thrown when it cannot be read. */
  caFileField?: string;
  timeoutMs: number;
}

export function createIssuerFetch(options: IssuerFetchOptions): IssuerFetch {
  let ca: Buffer | undefined;
  if (options.caFile) {
    try {
      ca = readFileSync(options.caFile);
    } catch (error) {
      throw new ConfigError(
        options.caFileField ?? 'caFile',
        `cannot read ${options.caFile}: ${(error as Error).message}`,
      );
    }
  }
  return async (url, init = {}) => {
    const signals = [AbortSignal.timeout(options.timeoutMs), ...(init.signal ? [init.signal] : [])];
    const signal = AbortSignal.any(signals);
    const headers = Object.fromEntries(new Headers(init.headers));
    try {
      const { status, contentType, body } = await get(url, headers, signal, ca);
      if (status !== 200) throw new IssuerUnavailableError(`GET ${url} answered HTTP ${status}`);
      return new Response(new Uint8Array(body), { status, headers: { 'content-type': contentType } });
    } catch (error) {
      if (error instanceof IssuerUnavailableError) throw error;
      const reason = signal.aborted ? `timed out after ${options.timeoutMs} ms` : describe(error);
      throw new IssuerUnavailableError(`GET ${url} failed: ${reason}`, { cause: error });
    }
  };
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

interface RawResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/** node:http(s) rather than global fetch, because only node:https takes a per-request CA. */
function get(url: string, headers: Record<string, string>, signal: AbortSignal, ca: Buffer | undefined) {
  return new Promise<RawResponse>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      { method: 'GET', headers, signal, ...(ca ? { ca } : {}) },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new IssuerUnavailableError(`GET ${url} returned more than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
