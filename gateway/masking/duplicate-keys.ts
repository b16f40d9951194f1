/**
 * Whether a piece of JSON repeats a key within one object. `JSON.parse` keeps the last value of a
 * repeated key, so the masker would inspect `{"data":{…values…},"data":null}` as a Secret without
 * data, find nothing to mask and pass on the original bytes — values and all; a repeated `kind`
 * or `metadata` hides values the same way. kube-apiserver never repeats a key, so the parse-based
 * masker refuses such a piece (a 502, like any piece it cannot vouch for).
 *
 * Only called for pieces `JSON.parse` accepted, so the structure is valid; keys are compared as
 * decoded strings (`"d\u0061ta"` is `"data"`).
 */
import {
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COMMA,
  JsonScanner,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from './json-scanner.ts';

const BACKSLASH = 0x5c;

export function hasDuplicateKeys(bytes: Buffer): boolean {
  const scanner = new JsonScanner();
  /** Per open container: its keys so far (null for an array). */
  const stack: Array<Set<string> | null> = [];
  let expectKey = false;
  let keyStart = -1;
  for (let t = scanner.next(bytes, 0); t !== -1; t = scanner.next(bytes, t + 1)) {
    const token = scanner.token;
    if (token === OPEN_OBJECT) {
      stack.push(new Set());
      expectKey = true;
    } else if (token === OPEN_ARRAY) {
      stack.push(null);
      expectKey = false;
    } else if (token === CLOSE_OBJECT || token === CLOSE_ARRAY) {
      stack.pop();
      expectKey = false;
    } else if (token === COMMA) {
      expectKey = stack.length > 0 && stack[stack.length - 1] !== null;
    } else if (token === QUOTE && expectKey) {
      if (scanner.inString) keyStart = t;
      else {
        const raw = bytes.toString('utf8', keyStart, t + 1);
        const backslash = bytes.indexOf(BACKSLASH, keyStart);
        const key = backslash !== -1 && backslash < t ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        const keys = stack.at(-1)!;
        if (keys.has(key)) return true;
        keys.add(key);
        expectKey = false;
      }
    }
  }
  return false;
}
