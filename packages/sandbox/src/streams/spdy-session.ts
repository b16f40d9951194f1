/**
 * The server side of a SPDY/3.1 connection as kubectl port-forward uses it: the client opens
 * every stream (odd ids), the server answers each SYN_STREAM with an empty SYN_REPLY (client-go
 * waits for that reply before it uses a stream), then both sides exchange DATA and half-close
 * with FIN; RST_STREAM aborts a stream (kubectl resets each data stream once it is done with it).
 * PINGs from the client are echoed; SETTINGS and WINDOW_UPDATE are ignored, because spdystream
 * does no flow control: it never grants window, so a server that enforced windows would stall
 * after 64 KiB.
 *
 * The transport is any byte Duplex: the raw socket after `Upgrade: SPDY/3.1`, or the WebSocket
 * stream of the `SPDY/3.1+portforward.k8s.io` tunnel. When it ends or fails every stream is
 * destroyed and `onClose` runs once.
 *
 * Why not spdy-transport: its parser treats a SYN_STREAM without `:method`/`:path` as a fatal
 * protocol error, and kubectl's streams carry only `streamtype`, `port` and `requestid`.
 */
import type { Duplex } from 'node:stream';
import {
  controlFrame,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FRAME_TYPE,
  type Frame,
  FrameReader,
  GOAWAY_STATUS,
  goawayFrame,
  RST_STATUS,
  rstStreamFrame,
  SPDY_VERSION,
  streamIdAt,
  synReplyFrame,
} from './spdy-frames.ts';
import { HeaderCompressor, HeaderDecompressor } from './spdy-headers.ts';
import { SpdyStream, type StreamSink } from './spdy-stream.ts';

export class SpdySession {
  #transport: Duplex;
  #onStream: (stream: SpdyStream) => void;
  #onClose: () => void;
  #reader = new FrameReader();
  #compressor = new HeaderCompressor();
  #decompressor = new HeaderDecompressor();
  #streams = new Map<number, SpdyStream>();
  #lastStreamId = 0;
  #inbound: Promise<void> = Promise.resolve();
  #closed = false;
  #sink: StreamSink;

  constructor(transport: Duplex, onStream: (stream: SpdyStream) => void, onClose: () => void) {
    this.#transport = transport;
    this.#onStream = onStream;
    this.#onClose = onClose;
    this.#sink = {
      write: (buffers) => this.#write(buffers),
      whenWritable: (callback) => {
        if (this.#closed || !this.#transport.writableNeedDrain) callback();
        else this.#transport.once('drain', callback);
      },
      forget: (id) => this.#streams.delete(id),
    };
    transport.on('data', (chunk: Buffer) => {
      for (const frame of this.#reader.push(chunk)) {
        this.#inbound = this.#inbound.then(() => this.#handle(frame)).catch(() => this.#fail());
      }
    });
    transport.on('end', () => this.close());
    transport.on('close', () => this.close());
    transport.on('error', () => this.close());
  }

  /** Destroys every stream and the transport. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stream of [...this.#streams.values()]) stream.destroy();
    this.#streams.clear();
    this.#decompressor.close();
    this.#transport.destroy();
    this.#onClose();
  }

  #write(buffers: Buffer[]): void {
    if (this.#closed || !this.#transport.writable) return;
    for (const buffer of buffers) this.#transport.write(buffer);
  }

  /** A protocol violation: tell the client (GOAWAY) and drop the connection. */
  #fail(): void {
    this.#write([goawayFrame(this.#lastStreamId, GOAWAY_STATUS.protocolError)]);
    this.close();
  }

  async #handle(frame: Frame): Promise<void> {
    if (this.#closed) return;
    if (!frame.control) {
      const stream = this.#streams.get(frame.streamId);
      if (stream) stream.receive(frame.data, (frame.flags & FLAG_FIN) !== 0);
      else if (frame.streamId > this.#lastStreamId) {
        this.#write([rstStreamFrame(frame.streamId, RST_STATUS.invalidStream)]);
      }
      return; // DATA for a stream we already closed is dropped, as spdystream does
    }
    if (frame.version !== SPDY_VERSION) throw new Error(`SPDY version ${frame.version} is not supported`);
    const { payload } = frame;
    switch (frame.type) {
      case FRAME_TYPE.synStream:
        return this.#onSynStream(streamIdAt(payload), frame.flags, await this.#decompress(payload, 10));
      case FRAME_TYPE.headers:
        // Inflated only to keep the shared zlib stream in step; trailers mean nothing here.
        await this.#decompress(payload, 4);
        if (frame.flags & FLAG_FIN) this.#streams.get(streamIdAt(payload))?.receive(Buffer.alloc(0), true);
        return;
      case FRAME_TYPE.rstStream:
        this.#streams.get(streamIdAt(payload))?.resetByPeer();
        return;
      case FRAME_TYPE.ping:
        // Client pings have odd ids; answer with the same frame. Our own would be even.
        if (payload.length === 4 && payload.readUInt32BE(0) % 2 === 1) {
          this.#write([controlFrame(FRAME_TYPE.ping, 0, payload)]);
        }
        return;
      default:
        // SYN_REPLY (we open no streams), SETTINGS, WINDOW_UPDATE, GOAWAY, unknown types: ignore.
        // After a GOAWAY the client finishes its streams and closes the transport itself.
        return;
    }
  }

  #decompress(payload: Buffer, offset: number): Promise<Map<string, string[]>> {
    return this.#decompressor.decompress(payload.subarray(offset));
  }

  #onSynStream(id: number, flags: number, headers: Map<string, string[]>): void {
    if (id % 2 === 0 || id <= this.#lastStreamId) {
      this.#write([rstStreamFrame(id, RST_STATUS.protocolError)]);
      return;
    }
    this.#lastStreamId = id;
    const stream = new SpdyStream(id, headers, this.#sink, (flags & FLAG_UNIDIRECTIONAL) !== 0);
    this.#streams.set(id, stream);
    this.#write([synReplyFrame(id, this.#compressor.compress(), false)]);
    if (flags & FLAG_FIN) stream.receive(Buffer.alloc(0), true);
    this.#onStream(stream);
  }
}
