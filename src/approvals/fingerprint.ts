import { createHash } from 'node:crypto';

/**
 * Request fingerprints: the identity of "the same request" across kubectl's 429 retries.
 *
 * A held request is answered `429 Retry-After` and client-go sends it again; the retry must join
 * the review the first attempt opened, and an approval must let through exactly the request the
 * approver saw. So the fingerprint covers everything that changes what the request does — who
 * (issuer + subject), where (cluster), what (method, path, query, body) — and nothing that merely
 * changes how long the client waits (`timeout`) or how it spells the query (parameter order).
 */

export interface FingerprintInput {
  identity: { issuer: string; subject: string };
  cluster: string;
  method: string;
  /** The path relative to the cluster prefix, as classified (already decoded and checked). */
  path: string;
  /** The raw query string, with or without the leading `?`. */
  query: string;
  /** The request body, or its SHA-256 hex digest when the pipeline hashed it while streaming. */
  body?: Uint8Array | string;
  bodySha256?: string;
}

/** Query parameters that only change how a client waits, never what it asks for. */
const IGNORED_QUERY_PARAMS = new Set(['timeout']);

/**
 * The query string with `timeout` removed and parameters sorted by name, then value (so repeated
 * parameters compare equal whatever their order), re-encoded the one way URLSearchParams does.
 */
export function canonicalQuery(query: string): string {
  const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const kept: Array<[string, string]> = [];
  for (const [name, value] of params) {
    if (!IGNORED_QUERY_PARAMS.has(name)) kept.push([name, value]);
  }
  kept.sort(([an, av], [bn, bv]) => (an === bn ? compare(av, bv) : compare(an, bn)));
  return new URLSearchParams(kept).toString();
}

/** SHA-256 hex of a body; an absent body hashes like an empty one. */
export function bodySha256(body: Uint8Array | string | undefined): string {
  return createHash('sha256')
    .update(body ?? '')
    .digest('hex');
}

/**
 * SHA-256 hex over the identity, cluster, upper-cased method, path, canonical query and body
 * hash. The parts are JSON-encoded as one array, so no choice of values can make two different
 * requests serialise alike (no separator ambiguity).
 */
export function fingerprint(input: FingerprintInput): string {
  const parts = [
    'hoop-fp-v1',
    input.identity.issuer,
    input.identity.subject,
    input.cluster,
    input.method.toUpperCase(),
    input.path,
    canonicalQuery(input.query),
    input.bodySha256 ?? bodySha256(input.body),
  ];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * The scope of a window grant: the same identity, cluster and rule. Hashed so that subjects with
 * odd characters never shape a Redis key.
 */
export function windowScope(
  identity: { issuer: string; subject: string },
  cluster: string,
  ruleName: string,
): string {
  const parts = ['hoop-window-v1', identity.issuer, identity.subject, cluster, ruleName];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
