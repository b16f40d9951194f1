import { badRequest, type StatusError } from '../errors.ts';

/**
 * Splits a still-percent-encoded request path into decoded segments, refusing every shape on
 * which two HTTP stacks could disagree.
 *
 * Why refuse instead of normalise: the gateway classifies a request, decides on it, and then the
 * cluster classifies the same bytes again. kube-apiserver decodes the whole path before splitting
 * it (Go's `URL.Path`), so `pods/a%2Fb` is `pods/a/b` upstream; any proxy, ingress or library in
 * between may also collapse `//`, resolve `..` or treat `\` as `/`. A path the gateway read one
 * way and the cluster another is a policy bypass, so the only safe answer to an ambiguous path is
 * 400. No client we serve (kubectl, client-go, other client libraries) sends any of these.
 *
 * Refused: a path not starting with `/`; raw characters outside RFC 3986 `pchar` and `/`
 * (spaces, `\`, `?`, `#`, non-ASCII, controls); invalid percent-escapes or ones that do not decode
 * to UTF-8; encoded `/` `\` `.` `%` (`%2F` `%5C` `%2E` `%25`: the last stops double-decoding);
 * decoded control characters; empty segments (`//`, and so two trailing slashes); and any segment
 * that is `.` or contains `..` (no Kubernetes name or path segment needs one).
 *
 * Kept: exactly one trailing slash. kube-apiserver's `splitPath` trims leading and trailing `/`,
 * so `/api/v1/pods/` classifies like `/api/v1/pods`; doing the same keeps the gateway's reading
 * identical to the cluster's (nothing is guessed, and refusing would break clients that append
 * one). {@link SplitPath.trailingSlash} records it so the decoded path can be rebuilt faithfully.
 */
export interface SplitPath {
  /** Decoded segments; `[]` for `/`. */
  segments: string[];
  /** The decoded path, as Go's `URL.Path` would hold it (trailing slash kept). */
  decodedPath: string;
  trailingSlash: boolean;
}

/** RFC 3986 pchar (unreserved, sub-delims, `:`, `@`) plus `%` (checked separately) and `/`. */
const RAW_ALLOWED = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
/** Escapes whose decoded character would change how the path splits or resolves. */
const FORBIDDEN_ESCAPE: Record<string, string> = {
  '2F': 'an encoded "/" (%2F)',
  '5C': 'an encoded "\\" (%5C)',
  '2E': 'an encoded "." (%2E)',
  '25': 'an encoded "%" (%25, double encoding)',
};
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_SHOWN = 200;

function refuse(rawPath: string, what: string): StatusError {
  const shown = rawPath.length > MAX_SHOWN ? `${rawPath.slice(0, MAX_SHOWN)}…` : rawPath;
  return badRequest(
    `hoop-gateway refused the request path ${JSON.stringify(shown)}: it contains ${what}. ` +
      'The gateway refuses encoded slashes, dots and backslashes, dot segments, empty segments and ' +
      'control characters, because the cluster could read such a path differently than the policy ' +
      'did. Send the plain path (for example /api/v1/namespaces/default/pods/my-pod).',
  );
}

function decodeSegment(rawPath: string, segment: string): string {
  if (!segment.includes('%')) return segment;
  for (let i = segment.indexOf('%'); i !== -1; i = segment.indexOf('%', i + 1)) {
    const hex = segment.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw refuse(rawPath, 'an invalid percent-escape');
    const forbidden = FORBIDDEN_ESCAPE[hex.toUpperCase()];
    if (forbidden) throw refuse(rawPath, forbidden);
  }
  try {
    return decodeURIComponent(segment);
  } catch {
    throw refuse(rawPath, 'a percent-escape that is not valid UTF-8');
  }
}

/**
 * Splits and decodes `rawPath` (relative to the cluster, e.g. `/api/v1/namespaces/default/pods`).
 * Throws a 400 {@link StatusError} for every shape listed on {@link SplitPath}.
 */
export function splitRequestPath(rawPath: string): SplitPath {
  if (!rawPath.startsWith('/')) throw refuse(rawPath, 'no leading "/"');
  if (!RAW_ALLOWED.test(rawPath)) {
    throw refuse(rawPath, 'a character that must be percent-encoded or is never valid in a path');
  }
  if (rawPath === '/') return { segments: [], decodedPath: '/', trailingSlash: false };
  const trailingSlash = rawPath.endsWith('/');
  const body = rawPath.slice(1, trailingSlash ? -1 : undefined);
  const segments: string[] = [];
  for (const raw of body.split('/')) {
    if (raw === '') throw refuse(rawPath, 'an empty segment ("//")');
    const segment = decodeSegment(rawPath, raw);
    if (CONTROL.test(segment)) throw refuse(rawPath, 'a control character');
    if (segment === '.' || segment.includes('..')) throw refuse(rawPath, 'a "." or ".." segment');
    segments.push(segment);
  }
  const decodedPath = `/${segments.join('/')}${trailingSlash ? '/' : ''}`;
  return { segments, decodedPath, trailingSlash };
}
