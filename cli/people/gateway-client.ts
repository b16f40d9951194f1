import { readFile } from 'node:fs/promises';
import { request } from 'node:https';

/**
 * JSON over HTTPS to the gateway's approvals API. node:https rather than fetch so a private CA
 * (the demo's, a company's) can be given per call without touching the process's trust store.
 * A non-2xx answer becomes an {@link ApiError} carrying the Status message the gateway wrote, so
 * the CLI prints one readable line.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export interface ApiCall {
  gateway: string;
  path: string;
  method?: 'GET' | 'POST';
  token?: string;
  body?: unknown;
  caFile?: string | undefined;
  timeoutMs?: number;
}

export async function callApi<T>(call: ApiCall): Promise<T> {
  const ca = call.caFile ? await readFile(call.caFile) : undefined;
  const url = new URL(call.path, call.gateway);
  const body = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      url,
      {
        method: call.method ?? 'GET',
        ...(ca ? { ca } : {}),
        headers: {
          accept: 'application/json',
          ...(call.token ? { authorization: `Bearer ${call.token}` } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
        timeout: call.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            value = undefined;
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300 && value !== undefined) return resolve(value as T);
          const status = value as { message?: unknown; reason?: unknown } | undefined;
          const message =
            typeof status?.message === 'string' ? status.message : `HTTP ${code} from ${url.origin}`;
          reject(new ApiError(code, typeof status?.reason === 'string' ? status.reason : '', message));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in time`)));
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ApiError(0, '', `cannot reach the gateway at ${url.origin}: ${error.code ?? error.message}`),
      ),
    );
    req.end(body);
  });
}
