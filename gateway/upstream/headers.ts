import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Caller } from '../../src/authn/caller.ts';
import { headerValue } from '../../src/authn/identity-value.ts';
import type { IdentityMapping } from '../runtime.ts';
import { isIdentityHeader } from './identity-headers.ts';
import { impersonatedIdentity } from './impersonated-identity.ts';

/** RFC 9110 §7.6.1 hop-by-hop headers: meaningful for one connection only, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * kube-apiserver also accepts a bearer token as a WebSocket subprotocol
 * (`base64url.bearer.authorization.k8s.io.<token>`, for browsers, which cannot set headers). It
 * is a credential like Authorization: the agent's must never reach the cluster.
 */
const BEARER_PROTOCOL = 'base64url.bearer.authorization.k8s.io.';

function withoutBearerProtocols(value: string): string {
  return value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.toLowerCase().startsWith(BEARER_PROTOCOL))
    .join(', ');
}

/**
 * The headers the gateway sends upstream for one request: the caller's headers minus hop-by-hop
 * ones, minus its credential, any impersonation it asked for and any header an upstream could
 * take as a statement of identity (identity-headers.ts), plus the gateway's own credential
 * and the agent's impersonated identity. Repeated headers (several Accept lines) are kept as sent.
 */
export function upstreamRequestHeaders(
  req: Pick<IncomingMessage, 'headers' | 'rawHeaders'>,
  caller: Caller,
  identity: IdentityMapping,
  authorization: string | undefined,
  options: { upgrade: boolean },
): OutgoingHttpHeaders {
  const dropped = connectionTokens(req.headers.connection);
  const headers: Record<string, string | string[]> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    // HTTP/2's pseudo-header fields (`:method`, `:path`, …) describe the caller's request, not
    // the one sent upstream.
    if (name.startsWith(':') || HOP_BY_HOP.has(name) || dropped.has(name)) continue;
    if (name === 'authorization' || name.startsWith('impersonate-') || isIdentityHeader(name)) continue;
    let value = raw[i + 1]!;
    if (name === 'sec-websocket-protocol') {
      value = withoutBearerProtocols(value);
      if (value === '') continue;
    }
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  if (options.upgrade) {
    headers['connection'] = 'Upgrade';
    if (req.headers.upgrade) headers['upgrade'] = req.headers.upgrade;
  }
  if (authorization) headers['authorization'] = authorization;
  const { user, groups } = impersonatedIdentity(caller, identity);
  headers['impersonate-user'] = headerValue(user);
  if (groups.length > 0) headers['impersonate-group'] = groups.map(headerValue);
  return headers;
}

/**
 * True when kube-apiserver reads this header value exactly as written: not empty, no control
 * characters (C0, DEL, C1), no space or tab at either end. Go's net/http trims spaces and tabs
 * around every header value (so the group " system:masters" would arrive as "system:masters"), and
 * Node refuses control characters. Non-ASCII names are fine: they are sent as UTF-8 bytes
 * (headerValue), which is how kube-apiserver reads them and RBAC bindings name them.
 */
export function readsTheSameUpstream(value: string): boolean {
  return /^[^\x00-\x20\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f])?$/.test(value);
}

/**
 * Response headers to copy back to the client: everything but hop-by-hop headers. `answer` has
 * lower-cased names with repeated headers as arrays (undici's parsed headers, Node's
 * `headersDistinct`), so each repeat goes back as its own line.
 */
export function clientResponseHeaders(
  answer: Readonly<Record<string, string | string[] | undefined>>,
  drop?: Set<string>,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name in answer) {
    const value = answer[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop?.has(name)) continue;
    headers[name] = value;
  }
  return headers;
}
