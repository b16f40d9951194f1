import { createHash, type Hash } from 'node:crypto';

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
  readonly #hash: Hash = createHash('sha256');
  readonly #chunks: Buffer[] = [];
  #size = 0;
  #kept = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  add(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#hash.update(chunk);
    this.#size += chunk.length;
    const room = this.cap + 1 - this.#kept;
    if (room <= 0) return;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    // Copy: the producer may reuse its buffer after write() returns.
    this.#chunks.push(Buffer.from(piece));
    this.#kept += piece.length;
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
      sha256: this.#hash.digest('hex'),
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
