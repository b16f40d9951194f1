/**
 * A byte queue standing in for a process's stdin: the stream transport pushes what the client
 * sends, the shell reads it. `read()` resolves with the next chunk, or `null` once the queue is
 * ended and drained (the client closed stdin, or the session went away).
 *
 * Why not a Node Readable: the shell needs "read one line, leave the rest for the next command"
 * (an interactive `sh` handing stdin over to a `cat` it runs), which `unshift` on a queue of our
 * own makes obvious, and the interpreter stays free of stream events.
 */
export class InputQueue {
  #chunks: Buffer[] = [];
  #ended = false;
  #waiter: (() => void) | undefined;

  /** Adds bytes the client sent. Ignored after `end()`. */
  push(chunk: Buffer): void {
    if (this.#ended || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#wake();
  }

  /** Marks end of input: readers drain what is queued, then get `null`. Idempotent. */
  end(): void {
    this.#ended = true;
    this.#wake();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Puts bytes back at the front, for a reader that took more than it used. */
  unshift(chunk: Buffer): void {
    if (chunk.length > 0) this.#chunks.unshift(chunk);
  }

  /** Next chunk, or `null` at end of input. */
  async read(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) return chunk;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
  }

  /**
   * Next line including its `\n`, or the unterminated rest at end of input, or `null` when
   * nothing is left. Bytes after the newline stay queued.
   */
  async readLine(): Promise<string | null> {
    const parts: Buffer[] = [];
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return parts.length > 0 ? Buffer.concat(parts).toString('utf8') : null;
      const newline = chunk.indexOf(0x0a);
      if (newline === -1) {
        parts.push(chunk);
        continue;
      }
      parts.push(chunk.subarray(0, newline + 1));
      this.unshift(chunk.subarray(newline + 1));
      return Buffer.concat(parts).toString('utf8');
    }
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
