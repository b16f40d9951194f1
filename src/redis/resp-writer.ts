/**
 * One Redis command written in RESP (an array of bulk strings) straight into a buffer the caller
 * lends, so large arguments can be produced in place: {@link RespWriter.reserve} hands out the
 * bytes of an argument before they are written. ioredis copies every Buffer argument of a command
 * into a fresh buffer of the command's size; for a recorded `cat` that was a new ~350 KB buffer per
 * append, outside the JavaScript heap, promoted while it waited for Redis and freed only by a full
 * collection (docs/performance.md, thirtieth round). Written here, the command is the caller's
 * buffer, sent as it is (lua-scripts.ts).
 *
 * The buffer grows (a fresh one, twice the size or more, the bytes so far copied over) when an
 * argument does not fit; the lent buffer is then no longer used by the command.
 */
export class RespWriter {
  #buffer: Buffer;
  #length = 0;
  readonly #argc: number;
  #written = 0;

  /** A command of exactly `argc` arguments (its name included), written into `buffer` first. */
  constructor(argc: number, buffer: Buffer) {
    this.#argc = argc;
    this.#buffer = buffer;
    this.#ascii(`*${argc}\r\n`);
  }

  /** Appends a string (UTF-8) or number argument. */
  string(value: string | number): void {
    const text = String(value);
    const size = Buffer.byteLength(text);
    this.#header(size);
    this.#ensure(size + 2);
    this.#buffer.write(text, this.#length);
    this.#length += size;
    this.#ascii('\r\n');
  }

  /** Appends a bytes argument (copied). */
  bytes(value: Uint8Array): void {
    this.reserve(value.length).set(value);
  }

  /**
   * Appends an argument of `size` bytes and returns them to be written: the caller fills every
   * byte before its next call on this writer (a later argument may move the command to a larger
   * buffer).
   */
  reserve(size: number): Buffer {
    this.#header(size);
    this.#ensure(size + 2);
    const bytes = this.#buffer.subarray(this.#length, this.#length + size);
    this.#length += size;
    this.#ascii('\r\n');
    return bytes;
  }

  /**
   * Appends an argument of `size` bytes to be written later, with {@link RespWriter.fill}: for an
   * argument that depends on a later one (a line's hash before the line). Its place is an offset,
   * which stays right when the command moves to a larger buffer.
   */
  placeholder(size: number): number {
    return this.reserve(size).byteOffset - this.#buffer.byteOffset;
  }

  /** Writes `text` (ASCII, exactly the placeholder's size) into the placeholder at `at`. */
  fill(at: number, text: string): void {
    this.#buffer.write(text, at, 'latin1');
  }

  /** The command as written; throws when it holds fewer or more arguments than it declared. */
  finish(): Buffer {
    if (this.#written !== this.#argc) {
      throw new RangeError(`a command of ${this.#argc} arguments was written with ${this.#written}`);
    }
    return this.#buffer.subarray(0, this.#length);
  }

  #header(size: number): void {
    this.#written += 1;
    if (this.#written > this.#argc) {
      throw new RangeError(`a command of ${this.#argc} arguments was given more`);
    }
    this.#ascii(`$${size}\r\n`);
  }

  #ascii(text: string): void {
    this.#ensure(text.length);
    this.#length += this.#buffer.write(text, this.#length, 'latin1');
  }

  #ensure(more: number): void {
    const needed = this.#length + more;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.#buffer.length));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}
