import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sealEvent, sealEventForSending, sha256Hex } from '../../src/recording/hash-chain.ts';

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

  it('writes canonical JSON exactly as the straightforward definition does', () => {
    // The first implementation, kept as the oracle for the faster one.
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value) as string;
      if (Array.isArray(value)) return `[${value.map((item) => reference(item ?? null)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${reference(item)}`).join(',')}}`;
    };
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.dictionary(fc.string(), fc.option(fc.jsonValue(), { nil: undefined })),
        (value, sparse) => {
          expect(canonicalJson(value)).toBe(reference(value));
          expect(canonicalJson(sparse)).toBe(reference(sparse));
          expect(canonicalJson([sparse, undefined])).toBe(reference([sparse, undefined]));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('sorts keys the same on both sides of the small-object path, any UTF-16 included', () => {
    // Up to 16 keys are sorted in place, more by the built-in sort: both must give the same order.
    const reference = (object: Record<string, unknown>): string =>
      `{${Object.keys(object)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${JSON.stringify(object[key])}`)
        .join(',')}}`;
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), fc.integer(), { maxKeys: 40 }),
        (object) => {
          expect(canonicalJson(object)).toBe(reference(object));
          const sealed = sealEvent(object);
          expect(sealed.line).toBe(canonicalJson({ ...object, hash: sealed.hash }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('seals events whose keys a sorted copy cannot keep in place (integer-like, __proto__) the same way', () => {
    // Such keys, at any depth, take the piece-by-piece path; the line must not depend on the path.
    const awkwardKey = fc.constantFrom('0', '7', '10', '01', '4294967295', '__proto__', 'a', 'hash', 'z');
    const awkwardObject = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('value'), { maxLength: 3 }),
        tie('object'),
      ),
      object: fc.array(fc.tuple(awkwardKey, tie('value')), { maxLength: 5 }).map((entries) => {
        const object: Record<string, unknown> = {};
        for (const [key, item] of entries)
          Object.defineProperty(object, key, {
            value: item,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        return object;
      }),
    }));
    fc.assert(
      fc.property(awkwardObject.object, (event) => {
        const { hash: _ignored, ...content } = event as Record<string, unknown>;
        const sealed = sealEvent(event as Record<string, unknown>);
        expect(sealed.hash).toBe(sha256Hex(canonicalJson(content)));
        expect(sealed.line).toBe(canonicalJson({ ...content, hash: sealed.hash }));
      }),
      { numRuns: 2000 },
    );
  });

  it('seals for sending as it seals: the same hash, and a line over the bound as its UTF-8 bytes', () => {
    // Hashed and encoded from the two halves without joining them: any text, any side of `hash`.
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string());
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, fc.jsonValue())), fc.nat(64), (event, bound) => {
        const expected = sealEvent(event);
        const sent = sealEventForSending(event, bound);
        expect(sent.hash).toBe(expected.hash);
        if (expected.line.length - 80 > bound) expect(Buffer.isBuffer(sent.line)).toBe(true);
        if (typeof sent.line === 'string') expect(sent.line).toBe(expected.line);
        else expect(sent.line.equals(Buffer.from(expected.line))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    const frames = [[0.5, 1, Buffer.alloc(48 * 1024, 'é').toString('base64')]];
    const large = { type: 'stream-data', stream: 'r1', frames, v: 1, seq: 3, prev: 'p', ts: 1, by: 'x' };
    const sent = sealEventForSending(large, 16 * 1024);
    expect(Buffer.isBuffer(sent.line) && sent.line.toString()).toBe(sealEvent(large).line);
    expect(typeof sealEventForSending({ ...large, frames: [] }, 16 * 1024).line).toBe('string');
  });

  it('refuses what canonical JSON cannot hold, on either path', () => {
    for (const bad of [() => undefined, Symbol('s')])
      for (const event of [{ a: bad }, { a: [bad] }, { '7': 1, a: { b: bad } }])
        expect(() => sealEvent(event as Record<string, unknown>)).toThrow(TypeError);
    expect(() => sealEvent({ a: 1n })).toThrow(TypeError);
  });
});
