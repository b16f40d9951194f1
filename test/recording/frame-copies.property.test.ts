import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferPool, lendFor } from '../../gateway/recording/buffer-pool.ts';
import { FrameCopies, type Slab } from '../../gateway/recording/frame-copies.ts';

/**
 * A stream's frames wait for their append as copies in slabs that go back to a shared pool and
 * are handed out again. The danger is a slab handed out while a copy in it is still to be read:
 * the next frames would overwrite it and the recording would hold bytes that were never relayed.
 * These properties drive the copies through any order of copying and releasing, several
 * recorders sharing one small pool, the relay reusing its own buffers meanwhile.
 */

type Step = { kind: 'copy'; recorder: number; bytes: Uint8Array } | { kind: 'release'; pick: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('copy' as const),
    recorder: fc.nat(2),
    // Up to half a slab goes into a slab, larger frames get a buffer of their own.
    bytes: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 33, maxLength: 80 })),
  }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
);

describe('frame copies in pooled slabs', () => {
  it('never hands out a slab while a copy in it is unreleased, in any order of copies and releases', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const pool = new BufferPool(64, 2);
        const recorders = [new FrameCopies(pool), new FrameCopies(pool), new FrameCopies(pool)];
        const live: Array<{ recorder: number; bytes: Buffer; slab: Slab | undefined; expected: Buffer }> = [];
        for (const s of steps) {
          if (s.kind === 'copy') {
            const source = Buffer.from(s.bytes);
            const copy = recorders[s.recorder]!.copy(source);
            // The relay's buffer is its own again at once: what the recorder keeps must not change.
            source.fill(0xee);
            live.push({ recorder: s.recorder, ...copy, expected: Buffer.from(s.bytes) });
          } else if (live.length > 0) {
            const [gone] = live.splice(s.pick % live.length, 1);
            recorders[gone!.recorder]!.release(gone!.slab);
          }
          for (const copy of live) expect(copy.bytes.equals(copy.expected)).toBe(true);
          expect(pool.free).toBeLessThanOrEqual(2);
        }
        // Live copies never share bytes: two in one slab lie side by side.
        const inSlabs = live.filter((copy) => copy.slab);
        for (const a of inSlabs)
          for (const b of inSlabs) {
            if (a === b || a.bytes.buffer !== b.bytes.buffer) continue;
            const apart =
              a.bytes.byteOffset + a.bytes.length <= b.bytes.byteOffset ||
              b.bytes.byteOffset + b.bytes.length <= a.bytes.byteOffset;
            expect(apart || a.bytes.length === 0 || b.bytes.length === 0).toBe(true);
          }
        // Once every copy is released the slabs are back in the pool (as many as it keeps).
        for (const copy of live.splice(0)) recorders[copy.recorder]!.release(copy.slab);
        const usedSlabs = steps.some((s) => s.kind === 'copy' && s.bytes.length >= 1 && s.bytes.length <= 32);
        if (usedSlabs) expect(pool.free).toBeGreaterThanOrEqual(1);
        else expect(pool.free).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('reuses the same slabs for frame after frame, so a long copy allocates only a few', () => {
    const pool = new BufferPool(1024, 4);
    const copies = new FrameCopies(pool);
    const slabs = new Set<ArrayBufferLike>();
    for (let i = 0; i < 1000; i++) {
      const { bytes, slab } = copies.copy(Buffer.alloc(300, i));
      slabs.add(bytes.buffer);
      copies.release(slab);
    }
    expect(slabs.size).toBe(1);
    expect(pool.free).toBe(1);
  });

  it("leaves a keystroke-sized frame to Node's allocator, so an interactive session holds no slab", () => {
    const pool = new BufferPool(128 * 1024, 4);
    const copies = new FrameCopies(pool);
    const typed = copies.copy(Buffer.from('ls -la\r'));
    expect(typed.slab).toBeUndefined();
    expect(typed.bytes.toString()).toBe('ls -la\r');
    const output = copies.copy(Buffer.alloc(4096, 1));
    expect(output.slab?.buffer.length).toBe(128 * 1024);
  });

  it('takes back only buffers of its own size', () => {
    const pool = new BufferPool(16, 4);
    expect(() => pool.give(Buffer.alloc(8))).toThrow(RangeError);
    expect(pool.free).toBe(0);
  });
});

describe('buffers lent for one use', () => {
  it("gives a whole pool buffer where the size fits, a fresh one of the size elsewhere, and takes back only the pool's", () => {
    const pool = new BufferPool(100, 8);
    const fits = lendFor(pool, 60);
    const large = lendFor(pool, 101);
    expect(fits.buffer.length).toBe(100);
    expect(large.buffer.length).toBe(101);
    expect(pool.free).toBe(0);
    large.giveBack();
    expect(pool.free).toBe(0);
    fits.giveBack();
    expect(pool.free).toBe(1);
    // Given back once: a second call returns nothing more.
    fits.giveBack();
    expect(pool.free).toBe(1);
    expect(lendFor(pool, 10).buffer).toBe(fits.buffer);
    // A few bytes come from Node's allocator, not a whole pool buffer.
    const few = lendFor(pool, 2);
    expect(few.buffer.length).toBe(2);
    expect(few.buffer.buffer).not.toBe(fits.buffer.buffer);
    expect(pool.free).toBe(0);
  });
});
