import { badRequest } from '../errors.ts';

/**
 * Query-string reading that agrees with Go's `net/url`, which is what kube-apiserver uses to find
 * `watch` and `fieldSelector` when it classifies a request.
 *
 * Go's `url.ParseQuery` splits on `&` only, silently drops a pair that contains `;` or a bad
 * percent-escape (Go < 1.17 split on `;` too), and since Go 1.24.12 / 1.25.6 gives up on queries
 * with very many parameters. WHATWG `URLSearchParams` keeps all of those. A gateway that read
 * `?watch=1;x` as a watch while the cluster read no `watch` at all (a list) would have applied the
 * wrong rule, so {@link parseQuery} refuses those shapes instead of picking a reading.
 */

/** Far above anything a Kubernetes client sends, far below Go's limit (10,000). */
const MAX_PARAMS = 1000;

function decodeComponent(raw: string, text: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw refuseQuery(raw, 'an invalid percent-escape');
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw refuseQuery(raw, 'a percent-escape that is not valid UTF-8');
  }
}

function refuseQuery(raw: string, what: string) {
  const shown = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  return badRequest(
    `hoop-gateway refused the query string ${JSON.stringify(shown)}: it contains ${what}, which ` +
      'the cluster would read differently than the gateway. Separate parameters with "&" and ' +
      'percent-encode reserved characters.',
  );
}

/**
 * Parses a raw query string (without the leading `?`) like Go's `url.ParseQuery`, refusing
 * (400) the inputs on which Go and WHATWG parsing disagree: `;` in a pair, invalid escapes,
 * escapes that are not UTF-8, and more than {@link MAX_PARAMS} pairs.
 */
export function parseQuery(raw: string): URLSearchParams {
  const query = new URLSearchParams();
  if (raw === '') return query;
  const pairs = raw.split('&');
  if (pairs.length > MAX_PARAMS) throw refuseQuery(raw, `more than ${MAX_PARAMS} parameters`);
  for (const pair of pairs) {
    if (pair.includes(';')) throw refuseQuery(raw, 'a ";"');
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    query.append(decodeComponent(raw, key), decodeComponent(raw, value));
  }
  return query;
}

/** `falſe` (long s) is `false` to Go's `strings.EqualFold`; JavaScript's case folding disagrees. */
const GO_FALSE = /^fal[sſ]e$/i;

/**
 * apimachinery's `Convert_Slice_string_To_bool`, used for `?watch=`: absent → false; the first
 * value `0` or case-insensitively `false` → false; anything else, the empty string included → true.
 */
export function goQueryBool(query: URLSearchParams, key: string): boolean {
  const first = query.get(key);
  if (first === null) return false;
  return !(first === '0' || GO_FALSE.test(first));
}

/**
 * The name a `fieldSelector` pins a list or watch to, as kube-apiserver computes it: parse the
 * selector like `fields.ParseSelector` (terms split on unescaped `,`, sorted; operators `!=`,
 * `==`, `=` at their first occurrence; `\\` `\,` `\=` escapes in values), then take the value of
 * the first `metadata.name` equality term in sorted order. A selector that does not parse pins no
 * name (the apiserver logs the error and leaves the name empty).
 *
 * Returns `undefined` when no name is pinned.
 */
export function fieldSelectorName(selector: string): string | undefined {
  return fieldSelectorParse(selector).name;
}

/**
 * Parses a fieldSelector like `fields.ParseSelector`: `parses` is false where Go returns an
 * error; `name` is the pinned `metadata.name` (see {@link fieldSelectorName}).
 */
export function fieldSelectorParse(selector: string): { parses: boolean; name?: string } {
  const terms = splitTerms(selector).sort(compareGoStrings);
  let found: string | undefined;
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) return { parses: false };
    const value = unescapeValue(split.rhs);
    if (value === undefined) return { parses: false };
    if (found === undefined && split.op !== '!=' && split.lhs === 'metadata.name') found = value;
  }
  return found === undefined ? { parses: true } : { parses: true, name: found };
}

/** Go sorts strings by bytes; UTF-16 code-unit order differs above U+FFFF, so compare UTF-8. */
function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function splitTerms(selector: string): string[] {
  if (selector === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

function unescapeValue(value: string): string | undefined {
  let out = '';
  let inSlash = false;
  for (const c of value) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') return undefined;
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') return undefined;
    else out += c;
  }
  return inSlash ? undefined : out;
}
