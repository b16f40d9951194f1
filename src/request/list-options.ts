import { fieldSelectorParse } from './query.ts';

/**
 * Whether kube-apiserver's request classification decodes a list or watch request's query into
 * `ListOptions` without error (requestinfo.go calls `ParameterCodec.DecodeParameters`). It
 * matters: when decoding fails, the apiserver pins no name from the fieldSelector and reads
 * `watch` with `strings.ToLower(v) == "false" | "0"` instead of `strings.EqualFold` (so
 * `watch=falſe` is a list when the query decodes, a watch when it does not).
 *
 * Decoding fails when `limit` or `timeoutSeconds` (first value) is not a base-10 int64, when the
 * fieldSelector does not parse, or when the labelSelector does not parse. The label selector
 * grammar (labels.Parse) is large; the gateway recognises a plain subset as certainly valid and
 * answers `unknown` for anything else, so the caller can refuse where the answer would matter.
 */
export type Decodes = 'yes' | 'no' | 'unknown';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's `strconv.ParseInt(s, 10, 64)` succeeds. */
function isGoInt64(text: string): boolean {
  if (!/^[+-]?[0-9]+$/.test(text)) return false;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX;
}

// A label name (63 characters at most), an optional DNS-subdomain prefix, a label value.
const NAME = '[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const PREFIX = '[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)*';
const KEY = `(?:${PREFIX}/)?${NAME}`;
const VALUE = `(?:${NAME})?`;
const SET = `\\(${NAME}(?:,${NAME})*\\)`;
const TERM = `(?:!?${KEY}|${KEY}(?:=|==|!=)${VALUE}|${KEY} (?:in|notin) ${SET})`;
const PLAIN_LABEL_SELECTOR = new RegExp(`^${TERM}(?:,${TERM})*$`);

/**
 * `yes` when labels.Parse certainly accepts `selector`: comma-separated `k`, `!k`, `k=v`, `k==v`,
 * `k!=v`, `k in (a,b)`, `k notin (a,b)` with valid keys and values, no other whitespace, and no
 * prefix longer than a DNS subdomain may be. `unknown` otherwise (it may or may not parse).
 */
function labelSelectorDecodes(selector: string): Decodes {
  if (selector === '') return 'yes';
  return selector.length <= 253 && PLAIN_LABEL_SELECTOR.test(selector) ? 'yes' : 'unknown';
}

/** Whether the list options in `query` decode the way requestinfo.go decodes them. */
export function listOptionsDecode(query: URLSearchParams): Decodes {
  if (query.size === 0) return 'yes';
  for (const key of ['limit', 'timeoutSeconds']) {
    const value = query.get(key);
    if (value !== null && !isGoInt64(value)) return 'no';
  }
  const fieldSelector = query.get('fieldSelector');
  if (fieldSelector !== null && !fieldSelectorParse(fieldSelector).parses) return 'no';
  const labelSelector = query.get('labelSelector');
  return labelSelector === null ? 'yes' : labelSelectorDecodes(labelSelector);
}

/**
 * The fallback requestinfo.go uses for `watch` when decoding failed: the first value, lower-cased
 * with Go's `strings.ToLower`, is neither "false" nor "0". Only ASCII letters lower-case to ASCII
 * "false" in Go, so an ASCII case-insensitive comparison is exact.
 */
export function watchWhenDecodingFails(query: URLSearchParams): boolean {
  const first = query.get('watch');
  if (first === null) return false;
  return !(first === '0' || /^false$/i.test(first));
}
