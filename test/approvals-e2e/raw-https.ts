import { type Agent, request } from 'node:https';

/**
 * Plain HTTPS calls to the gateway for what kubectl cannot show: exact status codes and headers,
 * hundreds of concurrent callers with identities of their own, a client that hangs up mid-hold.
 * Nothing retries here: a 429 comes back as a 429.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  url: string;
  method: string;
  token: string;
  caPem: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  agent?: Agent;
  /** Aborts the request (the client goes away). */
  signal?: AbortSignal;
}

export function rawRequest(input: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${input.token}`,
      accept: 'application/json',
      ...input.headers,
    };
    if (input.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(input.body));
    }
    const req = request(input.url, {
      method: input.method,
      headers,
      ca: input.caPem,
      ...(input.agent ? { agent: input.agent } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.end(input.body);
  });
}

/** The `message` of a Kubernetes Status body, or the body itself. */
export function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : body;
  } catch {
    return body;
  }
}
