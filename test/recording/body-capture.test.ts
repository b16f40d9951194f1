import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BodyCapture } from '../../gateway/recording/body-capture.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Feeds `body` to a capture in chunks of the given sizes (the last one takes the rest). */
function capture(body: Buffer, cap: number, chunkSizes: number[]) {
  const capturing = new BodyCapture(cap);
  let at = 0;
  for (const size of chunkSizes) {
    capturing.add(body.subarray(at, Math.min(body.length, at + size)));
    at += size;
  }
  if (at < body.length) capturing.add(body.subarray(at));
  return capturing.finish();
}

describe('BodyCapture', () => {
  const body = randomBytes(1000);

  it('digests the whole body and keeps it when it fits the cap, however it was cut', () => {
    for (const sizes of [[1000], [1, 999], [300, 0, 300, 400], [999, 1]]) {
      const captured = capture(body, 1000, sizes);
      expect(captured).toMatchObject({ complete: true, size: 1000, sha256: sha256(body) });
      expect(captured.bytes.equals(body)).toBe(true);
    }
  });

  // The digest is made in one call for a body that fits and as the bytes go by once one does not:
  // the switch may fall inside a chunk, on its edge, or one byte past the cap.
  it('digests every byte of a body over the cap and keeps only the first cap bytes', () => {
    for (const cap of [0, 1, 99, 100, 101, 499, 500, 999]) {
      for (const sizes of [[1000], [100, 400, 500], [cap, 1, 1], [cap + 1, 7], [cap + 2, 3, 995]]) {
        const captured = capture(body, cap, sizes);
        expect(captured, `cap ${cap}, chunks ${sizes}`).toMatchObject({
          complete: false,
          size: 1000,
          sha256: sha256(body),
        });
        expect(captured.bytes.equals(body.subarray(0, cap))).toBe(true);
      }
    }
  });

  it('keeps its copy when the producer reuses its buffer after writing it', () => {
    const reused = Buffer.from('first chunk');
    const capturing = new BodyCapture(100);
    capturing.add(reused);
    reused.fill(0x2a);
    expect(capturing.finish().bytes.toString()).toBe('first chunk');
  });
});
