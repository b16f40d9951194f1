/**
 * Buffers of one size, handed out and taken back: for bytes that wait a Redis round trip before
 * they are dropped (a stream's frames until their append, an append's command until Redis answered it).
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
 * A buffer for one use of about `size` bytes: a whole buffer of `pool` when `size` fits in one,
 * else a fresh one of `size` (larger than the pool's, or smaller than 1/32 of them, which Node's
 * own allocator serves from its shared slabs, so a few bytes do not hold a pool buffer).
 * `giveBack` returns the pool's buffer once nothing reads it any more (a second call does nothing).
 */
export function lendFor(pool: BufferPool, size: number): { buffer: Buffer; giveBack: () => void } {
  if (size > pool.size || size < pool.size / 32)
    return { buffer: Buffer.allocUnsafe(size), giveBack: () => undefined };
  let buffer: Buffer | undefined = pool.take();
  return {
    buffer,
    giveBack: () => {
      if (buffer) pool.give(buffer);
      buffer = undefined;
    },
  };
}
