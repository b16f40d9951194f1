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

/**
 * Go's `strconv.ParseBool` spellings. kube-apiserver's request info reads `?watch=` with
 * apimachinery's looser conversion (anything but `0`/`false` is true), but its handlers and other
 * API servers behind it (aggregated APIs, older and newer versions) have used `ParseBool` for the
 * same parameters; outside this set the readings differ, so the gateway refuses instead of picking
 * one (it would otherwise mask a watch stream as a list, or the other way round).
 */
const GO_BOOL: ReadonlyMap<string, boolean> = new Map([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((s) => [s, true] as const),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((s) => [s, false] as const),
]);

/**
 * The boolean query parameters that change what a response is (a watch stream or a list, one
 * event kind more, a log that never ends): the masker and the recorder read the body by them.
 */
export const SHAPE_FLAGS = ['watch', 'allowWatchBookmarks', 'sendInitialEvents', 'follow'] as const;

/**
 * A boolean query parameter as kube-apiserver reads it: absent → false; otherwise the first value.
 * Every value given must be a `strconv.ParseBool` spelling (`1 t T TRUE true True 0 f F FALSE false
 * False`); anything else — `yes`, `tRuE`, an empty value, `?watch` alone — is a 400, since
 * the cluster could read it either way.
 */
export function goQueryBool(query: URLSearchParams, key: string): boolean {
  const values = query.getAll(key);
  if (values.length === 0) return false;
  for (const value of values) {
    if (!GO_BOOL.has(value)) {
      const shown = JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
      throw badRequest(
        `hoop-gateway refused ?${key}=${shown.slice(1, -1)}: boolean query parameters must be spelled ` +
          "as Go's strconv.ParseBool reads them (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, " +
          `False), because other spellings are read differently by different API servers and the ` +
          `gateway must know what the answer will be. Send ${key}=true or ${key}=false.`,
      );
    }
  }
  return GO_BOOL.get(values[0]!) === true;
}

/** Checks every {@link SHAPE_FLAGS} parameter present (400 on a spelling outside ParseBool's). */
export function checkShapeFlags(query: URLSearchParams): void {
  for (const key of SHAPE_FLAGS) goQueryBool(query, key);
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
