/**
 * The one byte sequence a signed decision is signed over. JSON with object keys sorted by UTF-16
 * code unit and no whitespace; strings escaped as `JSON.stringify` does. For the values a decision
 * holds (strings, safe integers, booleans, arrays, plain objects) this is exactly RFC 8785 (JCS),
 * so a verifier in another language can rebuild the bytes.
 *
 * Anything else (floats, `undefined` inside arrays, NaN, class instances) throws rather than being
 * serialised some way: a payload that cannot be canonicalised must never be signed. Object
 * properties whose value is `undefined` are left out, as JSON.stringify leaves them out.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON: ${value} is not a safe integer`);
    return String(value);
  }
  if (Array.isArray(value)) {
    return `[${value
      .map((item: unknown) => {
        if (item === undefined) throw new TypeError('canonical JSON: undefined in an array');
        return canonicalJson(item);
      })
      .join(',')}]`;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: cannot serialise a ${typeof value}`);
}
