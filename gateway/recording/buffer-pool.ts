/**
 * Buffers of one size, handed out and taken back: for bytes that wait a Redis round trip before
 * they are dropped (a stream's frames until their append, a sealed line until Redis answered it).
 *
 * Why not fresh buffers: their bytes live outside the JavaScript heap, and V8 counts such memory
 * allocated since its last full collection against the old generation's limit. Buffers that wait
 * a round trip outlive two scavenges, are promoted, and die in the old generation, so a recorded
 * bulk copy started a full collection (marking the whole ~27 MB heap) every 4–12 MB of them: one
 * every 100–300 ms during a `cat` through the gateway, up to one every 100 ms in some processes
 * (docs/performance.md, seventeenth round). Taken back and handed out again, the same few buffers
 * carry every copy and count once.
 *
 * Whoever gives a buffer back must be done with it, and so must everyone it lent it to: a buffer
 * handed out again while still referenced would be overwritten under its old reader.
 */
export class BufferPool {
  readonly size: number;
  readonly #free: Buffer[] = [];
  readonly #keep: number;

  /** Buffers of `size` bytes; at most `keep` wait in the pool, more are left to the collector. */
  constructor(size: number, keep: number) {
    this.size = size;
    this.#keep = keep;
  }

  /** A buffer of `size` bytes, its contents whatever its last user left. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Takes `buffer` back (one {@link take} handed out, its user done with it). */
  give(buffer: Buffer): void {
    if (buffer.length !== this.size) throw new RangeError('not a buffer of this pool');
    if (this.#free.length < this.#keep) this.#free.push(buffer);
  }

  /** Buffers waiting to be handed out again. */
  get free(): number {
    return this.#free.length;
  }
}

/**
 * Buffers for one use, taken from `pool` where they fit and given back together: `allocate`
 * returns exactly `size` bytes (a pool buffer's start; a fresh buffer when larger than the pool's,
 * or smaller than 1/32 of them, which Node's own allocator serves from its shared slabs), and
 * `giveBack` returns the pool's ones once nothing reads them any more.
 */
export function lendFrom(pool: BufferPool): {
  allocate: (size: number) => Buffer;
  giveBack: () => void;
} {
  const lent: Buffer[] = [];
  return {
    allocate: (size) => {
      if (size > pool.size || size < pool.size / 32) return Buffer.allocUnsafe(size);
      const buffer = pool.take();
      lent.push(buffer);
      return buffer.subarray(0, size);
    },
    giveBack: () => {
      for (const buffer of lent.splice(0)) pool.give(buffer);
    },
  };
}
