import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sealEvent, sha256Hex } from '../../src/recording/hash-chain.ts';

describe('sealEvent', () => {
  it('stores the canonical JSON of the event with its hash, the hash being over the event without it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (event) => {
        const { hash: _ignored, ...content } = event as Record<string, unknown>;
        const sealed = sealEvent(event as Record<string, unknown>);
        const expected = sha256Hex(canonicalJson(content));
        expect(sealed.hash).toBe(expected);
        expect(sealed.line).toBe(canonicalJson({ ...content, hash: expected }));
      }),
      { numRuns: 1000 },
    );
  });
});
