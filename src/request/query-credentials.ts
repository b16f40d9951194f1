/**
 * Credentials in the query string. OAuth 2.0 lets a client put its bearer token in the URI as
 * `access_token` (RFC 6750 §2.3); the gateway never accepts a token there, but a client may still
 * send one, and a query is copied into log lines, recordings, review fingerprints, Status
 * messages and the request the cluster receives. So the parameter is removed from the raw query
 * as the request enters the pipeline, before any of those sees it.
 *
 * The query is cut on `&` and `;` alike (a `;` is refused later, as Go reads it differently, and
 * that refusal quotes the query), and a parameter is a credential when its name, with `+` and
 * percent-escapes decoded, is `access_token` in any case. Every other byte of the query is kept
 * exactly as sent: the cluster must read the same parameters the gateway classified.
 */

const CREDENTIAL_NAMES = new Set(['access_token']);

function decodedName(pair: string): string {
  const equals = pair.indexOf('=');
  const name = (equals === -1 ? pair : pair.slice(0, equals)).replaceAll('+', ' ');
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}

/** True when the pair is a credential parameter. */
function isCredential(pair: string): boolean {
  return CREDENTIAL_NAMES.has(decodedName(pair));
}

/** The raw query (without `?`) with every credential parameter removed, and whether one was. */
export function withoutQueryCredentials(rawQuery: string): { query: string; removed: boolean } {
  if (rawQuery === '') return { query: '', removed: false };
  // Separators are kept in the split, so what is left is rejoined byte for byte.
  const parts = rawQuery.split(/([&;])/);
  const kept: string[] = [];
  let removed = false;
  for (let i = 0; i < parts.length; i += 2) {
    const pair = parts[i] ?? '';
    if (isCredential(pair)) {
      removed = true;
      continue;
    }
    if (kept.length > 0) kept.push(parts[i - 1] ?? '&');
    kept.push(pair);
  }
  return { query: kept.join(''), removed };
}

/** True when the request target's query carries a credential parameter (for a 401's wording). */
export function hasQueryCredential(url: string): boolean {
  const at = url.indexOf('?');
  return at !== -1 && withoutQueryCredentials(url.slice(at + 1)).removed;
}
