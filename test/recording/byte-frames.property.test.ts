import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasByteFrames, sealByteFrames, withBase64Frames } from '../../src/recording/byte-frames.ts';
import type { StreamDataBytesEvent, StreamFrameBytes } from '../../src/recording/event.types.ts';
import { genesisHash, sealEvent, verifyChain } from '../../src/recording/hash-chain.ts';

const frame: fc.Arbitrary<StreamFrameBytes> = fc.tuple(
  fc.oneof(
    fc.double(),
    fc.nat({ max: 10_000_000 }).map((n) => n / 1000),
  ),
  fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer()),
  fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    // Large frames (a bulk copy's): random ends around a filled middle, any length modulo 3.
    fc
      .tuple(fc.uint8Array({ maxLength: 8 }), fc.integer({ min: 30_000, max: 50_000 }), fc.nat(255))
      .map(([ends, size, fill]) => Buffer.concat([ends, Buffer.alloc(size, fill), ends])),
  ),
);

// Members besides `frames`: the head the store adds, and any others, sorting on either side of
// `frames` and `hash` (non-ASCII keys and values too: the replica name is a hostname).
const members = fc.record({
  v: fc.constant(1),
  seq: fc.nat(),
  prev: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
  ts: fc.double({ noNaN: true }),
  by: fc.string({ unit: 'grapheme' }),
  stream: fc.string(),
  extra: fc.dictionary(
    fc.oneof(
      fc.constantFrom('a', 'ff', 'g', 'h', 'hash', 'i', 'z', 'frames0', '__proto__', '7'),
      fc.string({ unit: 'binary' }),
    ),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 4 },
  ),
});

function eventOf(
  head: { extra: Record<string, unknown> } & Record<string, unknown>,
  frames: StreamFrameBytes[],
): StreamDataBytesEvent & Record<string, unknown> {
  const { extra, ...rest } = head;
  const { frames: _dropped, ...others } = extra;
  return { ...others, ...rest, type: 'stream-data', stream: String(rest['stream']), frames };
}

describe('sealing frames still as bytes', () => {
  it('writes the same line and hash as sealing the event with its frames in base64', () => {
    fc.assert(
      fc.property(members, fc.array(frame, { minLength: 1, maxLength: 4 }), (head, frames) => {
        const event = eventOf(head, frames);
        const sealed = sealByteFrames(event);
        const reference = sealEvent({ ...withBase64Frames(event) });
        expect(sealed.hash).toBe(reference.hash);
        expect(sealed.line.toString()).toBe(reference.line);
        expect(sealed.line.equals(Buffer.from(reference.line))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('makes lines a chain verifies, stdin and stdout alike', () => {
    const session = 'byteframes01';
    const lines: string[] = [];
    let prev = genesisHash(session);
    for (let seq = 1; seq <= 5; seq++) {
      const frames: StreamFrameBytes[] = [
        [seq * 1.5, 0, Buffer.from(`typed ${seq}\n`)],
        [seq * 1.5 + 0.25, 1, Buffer.alloc(40_000, seq)],
      ];
      const sealed = sealByteFrames({
        type: 'stream-data',
        stream: 's1',
        frames,
        v: 1,
        seq,
        prev,
        ts: seq,
        by: 'gw-é',
      });
      lines.push(sealed.line.toString());
      prev = sealed.hash;
    }
    expect(verifyChain(session, lines)).toEqual({ ok: true, count: 5, finalHash: prev });
    const decoded = JSON.parse(lines[0]!) as { frames: [number, number, string][] };
    expect(Buffer.from(decoded.frames[0]![2], 'base64').toString()).toBe('typed 1\n');
  });

  it('tells events with frames as bytes from those already in base64', () => {
    const bytes: StreamDataBytesEvent = {
      type: 'stream-data',
      stream: 's',
      frames: [[0, 1, Buffer.from('x')]],
    };
    expect(hasByteFrames(bytes)).toBe(true);
    expect(hasByteFrames(withBase64Frames(bytes))).toBe(false);
    expect(hasByteFrames({ type: 'stream-data', stream: 's', frames: [] })).toBe(false);
    expect(
      hasByteFrames({
        type: 'stream-close',
        stream: 's',
        durationMs: 1,
        bytes: { fromClient: 0, toClient: 0 },
      }),
    ).toBe(false);
  });
});
