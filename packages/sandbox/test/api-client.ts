/**
 * A tiny HTTPS client for talking to a sandbox (or anything serving its CA) at the wire level:
 * `call` for one request/response, `stream` for chunked responses read line by line (watch,
 * logs -f). Trusts only the sandbox's CA, like kubectl with its kubeconfig.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request } from 'node:https';

export interface Target {
  url: string;
  caPem: string;
  token: string;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Bearer token to send; null sends none. Default: the target's token. */
  token?: string | null;
}

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body bytes as received (still compressed when Content-Encoding says so). */
  raw: Buffer;
  json: Record<string, unknown>;
}

function open(target: Target, method: string, path: string, options: CallOptions): Promise<IncomingMessage> {
  const body =
    options.body === undefined || Buffer.isBuffer(options.body) || typeof options.body === 'string'
      ? (options.body as Buffer | string | undefined)
      : JSON.stringify(options.body);
  const token = options.token === undefined ? target.token : options.token;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, target.url), { method, headers, ca: target.caPem }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

export async function call(
  target: Target,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const res = await open(target, method, path, options);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const text = raw.toString('utf8');
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (logs, healthz)
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, raw, json };
}

export interface LineStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The next complete line (without the newline); rejects after `timeoutMs` or at end of stream. */
  next(timeoutMs?: number): Promise<string>;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  close(): void;
}

export async function stream(target: Target, path: string, options: CallOptions = {}): Promise<LineStream> {
  const res = await open(target, 'GET', path, options);
  const lines: string[] = [];
  let buffered = '';
  let wake: (() => void) | undefined;
  let done = false;
  res.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    wake?.();
  });
  const ended = new Promise<void>((resolve) => {
    res.on('end', () => {
      done = true;
      wake?.();
      resolve();
    });
    res.on('close', () => {
      done = true;
      wake?.();
      resolve();
    });
  });
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    ended,
    close: () => res.destroy(),
    next: async (timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (lines.length === 0) {
        if (done) throw new Error('stream ended');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error('timed out waiting for a line');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, left);
        });
        wake = undefined;
      }
      return lines.shift() ?? '';
    },
  };
}
