/**
 * Authentication and the request log. The sandbox accepts exactly one bearer token; every request
 * is recorded with what tests need to assert on (method, path, query, impersonation headers,
 * whether the credential was valid) and never the credential itself.
 *
 * Impersonation headers are recorded, not acted on: tests use them to prove the gateway sent
 * `Impersonate-User` / `Impersonate-Group` for the agent it authenticated.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AuthorizationState = 'valid' | 'invalid' | 'missing';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The raw query string, without the leading `?`. */
  query: string;
  headers: {
    impersonateUser?: string;
    impersonateGroups: string[];
    authorization: AuthorizationState;
    accept?: string;
    contentType?: string;
    userAgent?: string;
  };
  /** In EKS mode: who the bearer token authenticated (the gateway's mapped user). */
  user?: string;
  /** `1.1` or `2.0`. */
  httpVersion: string;
  /** Milliseconds since the epoch when the request arrived. */
  at: number;
}

/** Compares the request's bearer token with `token` in constant time. */
export function authorizationOf(req: IncomingMessage, token: string): AuthorizationState {
  const header = req.headers.authorization;
  if (!header) return 'missing';
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return 'invalid';
  const given = Buffer.from(match[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}

/**
 * Every value of a header, each as sent: read from the raw headers, which HTTP/1.1 and HTTP/2
 * requests both keep (an HTTP/2 request has no `headersDistinct`, and its `headers` joins
 * repeated fields with commas, which a group name may contain).
 */
export function headerValues(req: IncomingMessage, name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) values.push(req.rawHeaders[i + 1]!);
  }
  return values;
}

export function recordRequest(
  req: IncomingMessage,
  url: URL,
  authorization: AuthorizationState,
): RecordedRequest {
  const headers: RecordedRequest['headers'] = {
    impersonateGroups: headerValues(req, 'impersonate-group'),
    authorization,
  };
  const user = req.headers['impersonate-user'];
  if (typeof user === 'string') headers.impersonateUser = user;
  if (req.headers.accept) headers.accept = req.headers.accept;
  if (req.headers['content-type']) headers.contentType = req.headers['content-type'];
  if (req.headers['user-agent']) headers.userAgent = req.headers['user-agent'];
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.search.slice(1),
    headers,
    httpVersion: req.httpVersion,
    at: Date.now(),
  };
}
