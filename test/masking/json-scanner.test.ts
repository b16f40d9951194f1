import { describe, expect, it } from 'vitest';
import { JsonScanner } from '../../gateway/masking/json-scanner.ts';

interface Token {
  at: number;
  token: string;
  depth: number;
  opens: boolean;
}

/** Every token the scanner reports for `text` cut at `cuts`, with positions in the whole text. */
function scan(text: string, cuts: number[], depthLimit?: number): Token[] {
  const bytes = Buffer.from(text);
  const scanner = new JsonScanner();
  const tokens: Token[] = [];
  let offset = 0;
  for (const end of [...cuts, bytes.length]) {
    const chunk = bytes.subarray(offset, end);
    for (let t = scanner.next(chunk, 0, depthLimit); t !== -1; t = scanner.next(chunk, t + 1, depthLimit)) {
      tokens.push({
        at: offset + t,
        token: String.fromCharCode(scanner.token),
        depth: scanner.depth,
        opens: scanner.inString,
      });
    }
    offset = end;
  }
  return tokens;
}

const TRICKY = '{"a\\"b":["x\\\\",{"k":"\\u00e9\\"}]"}],"n":-1.5e3,"ü":"日本\\\\\\""}';

describe('JsonScanner', () => {
  it('finds structure outside strings, whatever the escapes', () => {
    const tokens = scan(TRICKY, []).filter((t) => t.token !== '"');
    expect(tokens.map((t) => t.token).join('')).toBe('{:[,{:}],:,:}');
    expect(tokens.at(-1)?.depth).toBe(0);
  });

  it('reports the same tokens however the bytes are chunked', () => {
    const whole = scan(TRICKY, []);
    const length = Buffer.byteLength(TRICKY);
    for (let a = 1; a < length; a++) {
      expect(scan(TRICKY, [a])).toEqual(whole);
      expect(scan(TRICKY, [a, Math.min(a + 2, length)])).toEqual(whole);
    }
  });

  it('skips tokens deeper than the depth limit', () => {
    const tokens = scan('{"items":[{"a":{"b":[1,2]}},{"c":3}]}', [], 2);
    expect(tokens.filter((t) => t.token !== '"').map((t) => `${t.token}${t.depth}`)).toEqual([
      '{1',
      ':1',
      '[2',
      '}2',
      ',2',
      '}2',
      ']1',
      '}0',
    ]);
  });

  it('notes numbers JSON.parse would round', () => {
    const scanner = new JsonScanner();
    scanner.next(Buffer.from('[1,22,"12345678901234567890",1.5]'), 0, -1);
    expect(scanner.lossyNumbers).toBe(false);
    scanner.next(Buffer.from('[12345678901234567,2]'), 0, -1);
    expect(scanner.lossyNumbers).toBe(true);
    const exponent = new JsonScanner();
    exponent.next(Buffer.from('[true,false,null,1e400]'), 0, -1);
    expect(exponent.lossyNumbers).toBe(true);
  });
});
