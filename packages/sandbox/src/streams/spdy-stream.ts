/**
 * One SPDY stream as a Node Duplex (half-open allowed), so callers can `pipe` it to a socket:
 *
 * - readable side: the peer's DATA; ends when the peer sends FIN;
 * - writable side: our DATA; `end()` sends FIN;
 * - `destroy()` before both sides finished sends RST_STREAM(CANCEL); a reset from the peer
 *   destroys the stream without answering.
 *
 * Writes wait for the transport to drain (the only backpressure there is, since spdystream
 * ignores flow-control windows). Stream ids are the client's: odd numbers from 1.
 */
import { Duplex } from 'node:stream';
import { dataFrames, RST_STATUS, rstStreamFrame } from './spdy-frames.ts';

/** What a stream needs from its session. */
export interface StreamSink {
  write: (buffers: Buffer[]) => void;
  /** Calls back once the transport can take more (at once if it can now). */
  whenWritable: (callback: () => void) => void;
  /** The stream is gone; drop it from the session's table. */
  forget: (id: number) => void;
}

export class SpdyStream extends Duplex {
  readonly id: number;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  #sink: StreamSink;
  #remoteClosed = false;
  #localClosed: boolean;
  #resetByPeer = false;

  constructor(
    id: number,
    headers: ReadonlyMap<string, readonly string[]>,
    sink: StreamSink,
    unidirectional: boolean,
  ) {
    super({ allowHalfOpen: true });
    this.id = id;
    this.headers = headers;
    this.#sink = sink;
    // FLAG_UNIDIRECTIONAL: the peer will not accept data from us on this stream.
    this.#localClosed = unidirectional;
    if (unidirectional) this.end();
  }

  /** First value of a (lowercase) header, as Go's `Header.Get` would give it. */
  header(name: string): string | undefined {
    return this.headers.get(name)?.[0];
  }

  /** DATA (and maybe FIN) from the peer. */
  receive(data: Buffer, fin: boolean): void {
    if (this.#remoteClosed) {
      this.#sink.write([rstStreamFrame(this.id, RST_STATUS.streamAlreadyClosed)]);
      return;
    }
    if (data.length > 0) this.push(data);
    if (fin) {
      this.#remoteClosed = true;
      this.push(null);
    }
  }

  /** RST_STREAM from the peer: the stream is gone in both directions. */
  resetByPeer(): void {
    this.#resetByPeer = true;
    this.destroy();
  }

  override _read(): void {
    // Data is pushed as frames arrive; SPDY as spdystream speaks it has no window to reopen.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#localClosed) {
      callback(new Error(`SPDY stream ${this.id} is closed for writing`));
      return;
    }
    this.#sink.write(dataFrames(this.id, chunk, false));
    this.#sink.whenWritable(() => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#localClosed) {
      this.#localClosed = true;
      this.#sink.write(dataFrames(this.id, Buffer.alloc(0), true));
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#resetByPeer && !(this.#localClosed && this.#remoteClosed)) {
      this.#sink.write([rstStreamFrame(this.id, RST_STATUS.cancel)]);
    }
    this.#localClosed = true;
    this.#remoteClosed = true;
    this.#sink.forget(this.id);
    callback(error);
  }
}
