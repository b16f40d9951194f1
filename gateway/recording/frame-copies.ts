import { BufferPool } from './buffer-pool.ts';

/**
 * Copies of a stream's frames while they wait for their append, packed into slabs from a shared
 * pool (buffer-pool.ts says why not a fresh buffer per frame). A slab goes back to the pool once
 * every frame copied into it was released; frames larger than half a slab get a buffer of their
 * own, and frames under 1/128 of a slab (1 KiB: keystrokes, a prompt) one from Node's allocator,
 * so a thousand interactive sessions do not hold a slab each while their few bytes wait. One per
 * stream recorder: its frames are copied and released on the recorder's own turn.
 */

/** Slabs of 128 KiB; a busy stream's 1 MiB backlog spans about nine of them. */
export const FRAME_SLABS = new BufferPool(128 * 1024, 32);

/** A slab in use: how much of it is handed out, and how many of those copies are not released yet. */
export interface Slab {
  readonly buffer: Buffer;
  used: number;
  copies: number;
}

export class FrameCopies {
  readonly #pool: BufferPool;
  #slab: Slab | undefined;

  constructor(pool: BufferPool = FRAME_SLABS) {
    this.#pool = pool;
  }

  /**
   * A copy of `payload`, and the slab holding it (undefined for a frame with a buffer of its own);
   * the copy is valid until {@link release} of that slab for it.
   */
  copy(payload: Uint8Array): { bytes: Buffer; slab: Slab | undefined } {
    const size = payload.length;
    if (size > this.#pool.size / 2 || size < this.#pool.size / 128)
      return { bytes: Buffer.from(payload), slab: undefined };
    let slab = this.#slab;
    if (!slab || slab.used + size > slab.buffer.length) {
      slab = { buffer: this.#pool.take(), used: 0, copies: 0 };
      this.#slab = slab;
    }
    const bytes = slab.buffer.subarray(slab.used, slab.used + size);
    bytes.set(payload);
    slab.used += size;
    slab.copies += 1;
    return { bytes, slab };
  }

  /** One copy in `slab` is no longer read; the last one gives the slab back to the pool. */
  release(slab: Slab | undefined): void {
    if (!slab) return;
    slab.copies -= 1;
    if (slab.copies > 0) return;
    if (slab === this.#slab) this.#slab = undefined;
    this.#pool.give(slab.buffer);
  }
}
