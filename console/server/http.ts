import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, StatusError } from '../../src/errors.ts';

/**
 * JSON in and out for the console: answers as JSON that is never cached, errors as Kubernetes-style
 * Status objects (console/api.types.ts `ApiError`) with a message for people and never a stack
 * trace, bodies read under a small cap.
 */
const MAX_BODY_BYTES = 16 * 1024;

export function writeJson(
  res: ServerResponse,
  code: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(code, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** Writes `error` as a Status; anything that is not a StatusError is a 500 with a plain message. */
export function writeError(res: ServerResponse, error: unknown): { code: number; message: string } {
  const status =
    error instanceof StatusError
      ? error
      : new StatusError(500, 'InternalError', 'the console failed to answer; the error is in its log');
  if (res.headersSent) {
    res.destroy();
    return { code: status.code, message: status.message };
  }
  writeJson(res, status.code, status.toStatus(), status.headers);
  return { code: status.code, message: status.message };
}

/** {@link writeError} as a small HTML page for people, with the way back to sign-in. */
export function writeErrorPage(res: ServerResponse, error: unknown): { code: number; message: string } {
  const status =
    error instanceof StatusError
      ? error
      : new StatusError(500, 'InternalError', 'the console failed to answer; the error is in its log');
  if (res.headersSent) {
    res.destroy();
    return { code: status.code, message: status.message };
  }
  const body = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hoop-gateway console: sign-in failed</title></head>
<body><h1>Sign-in did not complete</h1>
<p>${escapeHtml(status.message)}</p>
<p><a href="/auth/login">Sign in again</a></p>
</body></html>
`;
  res.writeHead(status.code, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
  return { code: status.code, message: status.message };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const notFound = (message: string): StatusError => new StatusError(404, 'NotFound', message);
export const conflict = (message: string): StatusError => new StatusError(409, 'Conflict', message);
export const gone = (message: string): StatusError => new StatusError(410, 'Gone', message);

export function allowMethod(req: IncomingMessage, expected: 'GET' | 'POST'): void {
  const method = req.method ?? 'GET';
  if (method === expected || (expected === 'GET' && method === 'HEAD')) return;
  throw new StatusError(405, 'MethodNotAllowed', `${method} is not supported here; use ${expected}`, {
    headers: { allow: expected },
  });
}

/** The request body as a JSON object; an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new StatusError(413, 'RequestEntityTooLarge', `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('the request body is not JSON; send {"reason": "…"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('the request body must be a JSON object such as {"reason": "…"}');
  return value as Record<string, unknown>;
}

/** Cookies by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}
