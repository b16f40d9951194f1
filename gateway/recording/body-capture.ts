import { createHash, type Hash, hash } from 'node:crypto';

/**
 * Watches a body go by — a request body, or a response streamed to the client — without holding
 * more than `cap` bytes of it: every byte is counted and hashed, only the first `cap + 1` are
 * kept. `cap + 1` so the record can tell "exactly at the cap" from "over it".
 *
 * A watch or `logs -f` may stream for hours; the capture costs one hash update per chunk after
 * the head is full, and its memory stays at the cap.
 */
export class BodyCapture {
  readonly cap: number;
  /**
   * The running digest, made only once the body outgrows what is kept. A body that fits (most
   * do) is hashed in one call at the end instead: a native hash object per request, held by a
   * weak handle, was kept alive by V8's young collections and promoted with every recorded
   * request, running the old generation into a full collection every few hundred milliseconds
   * (docs/performance.md, twenty-third round).
   */
  #hash: Hash | undefined;
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #kept = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#size += chunk.length;
    const room = this.cap + 1 - this.#kept;
    const keep = room <= 0 ? 0 : Math.min(room, chunk.length);
    if (keep > 0) {
      // Copy: the producer may reuse its buffer after write() returns.
      this.#chunks.push(Buffer.from(keep === chunk.length ? chunk : chunk.subarray(0, keep)));
      this.#kept += keep;
    }
    if (this.#hash) this.#hash.update(chunk);
    else if (keep < chunk.length) {
      // The first byte not kept: from here on the digest runs as the bytes go by.
      const running = createHash('sha256');
      for (const kept of this.#chunks) running.update(kept);
      running.update(chunk.subarray(keep));
      this.#hash = running;
    }
  }

  get size(): number {
    return this.#size;
  }

  /** The captured bytes (at most `cap`), whether they are the whole body, and the digest. */
  finish(): CapturedBody {
    const all = Buffer.concat(this.#chunks, this.#kept);
    const complete = this.#size <= this.cap;
    return {
      bytes: complete ? all : all.subarray(0, this.cap),
      complete,
      size: this.#size,
      sha256: this.#hash ? this.#hash.digest('hex') : hash('sha256', all, 'hex'),
    };
  }
}

export interface CapturedBody {
  /** The body (complete) or its first `cap` bytes. */
  bytes: Buffer;
  complete: boolean;
  size: number;
  sha256: string;
}

/** A capture of a body already in memory (a buffered request body). */
export function captureBuffer(body: Uint8Array, cap: number): CapturedBody {
  const capture = new BodyCapture(cap);
  capture.add(body);
  return capture.finish();
}
