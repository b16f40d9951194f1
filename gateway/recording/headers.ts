/**
 * Request and response headers as recorded: everything an auditor needs to see what the client
 * asked for (Accept, Content-Type, User-Agent, Kubectl-Command, …), nothing that authenticates.
 *
 * Dropped: `Authorization`, `Proxy-Authorization`, `Cookie`, `Set-Cookie`, every header whose
 * name suggests a credential (`token`, `secret`, `password`, `api-key`, `auth`, `session-key`…),
 * the WebSocket handshake key, hop-by-hop headers, and HTTP/2's pseudo-header fields (`:method`,
 * `:path`, `:scheme`, `:authority`: the request line, recorded as the event's method and path, so
 * a request records the same over HTTP/2 and HTTP/1.1, where `Host` is dropped too). A value that
 * still looks like a bearer token or a JWT is replaced, in case a client put one where no rule
 * expects it. Values are cut to a bounded length so a header cannot smuggle a blob into the record.
 */

const DROPPED = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'sec-websocket-key',
  'sec-websocket-accept',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

/** Header names that suggest a credential, whatever their prefix (`x-auth-token`, `x-api-key`). */
const CREDENTIAL_NAME = /(token|secret|passw|pwd|api-?key|auth|credential|cookie|session-key|signature)/i;

/** Bearer/Basic credentials and JWT-shaped values. */
const CREDENTIAL_VALUE = /^\s*(bearer|basic)\s+\S|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\./i;

export const REDACTED = '**hoop-redacted**';
const MAX_VALUE = 512;
const MAX_HEADERS = 64;

function clean(value: string): string {
  if (CREDENTIAL_VALUE.test(value)) return REDACTED;
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE)}…` : value;
}

/** Sanitised copy of Node's `rawHeaders` (name/value pairs); names are lowercased. */
export function sanitizeHeaders(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let kept = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (
      DROPPED.has(name) ||
      name.startsWith(':') ||
      CREDENTIAL_NAME.test(name) ||
      name.startsWith('impersonate-')
    )
      continue;
    const value = clean(rawHeaders[i + 1]!);
    const existing = out[name];
    if (existing === undefined) {
      if (kept++ >= MAX_HEADERS) break;
      out[name] = value;
    } else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [existing, value];
  }
  return out;
}

/** The same for a headers object (`res.getHeaders()` or `writeHead`'s argument). */
export function sanitizeHeaderObject(
  headers: Record<string, number | string | readonly string[] | undefined>,
): Record<string, string | string[]> {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) raw.push(name, String(item));
  }
  return sanitizeHeaders(raw);
}
