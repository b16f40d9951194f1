import type { Mask } from './port-sniffer-spdy.ts';

/**
 * Reads the frames a WebSocket client sends (RFC 6455 §5.2) from the raw bytes, passively, and
 * hands the payload of binary messages on — still masked, with the key and offset to unmask it —
 * so a reader that only needs a few bytes of it (port-sniffer-spdy.ts, inside the port-forward tunnel
 * `SPDY/3.1+portforward.k8s.io`) unmasks only those. Control frames (ping, pong, close) and text
 * messages are skipped. Anything malformed stops the reader; the relay itself never depends on it.
 */
export class WsClientFrames {
  readonly #onPayload: (bytes: Buffer, mask: Mask) => void;
  #header: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #mask: Mask | undefined;
  #forward = false;
  /** Whether the message being continued (opcode 0) is binary. */
  #binaryMessage = false;
  #stopped = false;

  constructor(onPayload: (bytes: Buffer, mask: Mask) => void) {
    this.#onPayload = onPayload;
  }

  write(chunk: Buffer): void {
    let at = 0;
    while (!this.#stopped && at < chunk.length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, chunk.length - at);
        if (this.#forward && this.#mask) {
          this.#onPayload(chunk.subarray(at, at + n), { key: this.#mask.key, offset: this.#mask.offset });
          this.#mask.offset += n;
        }
        this.#remaining -= n;
        at += n;
        continue;
      }
      const need = this.#headerLength();
      const take = Math.min(need - this.#header.length, chunk.length - at);
      this.#header = Buffer.concat([this.#header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.#header.length === need && need === this.#headerLength()) this.#startFrame();
    }
  }

  /** Bytes of the frame header as far as known (grows once the length byte is in). */
  #headerLength(): number {
    if (this.#header.length < 2) return 2;
    const len7 = this.#header[1]! & 0x7f;
    const masked = (this.#header[1]! & 0x80) !== 0;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  #startFrame(): void {
    const header = this.#header;
    this.#header = Buffer.alloc(0);
    const opcode = header[0]! & 0x0f;
    const len7 = header[1]! & 0x7f;
    const masked = (header[1]! & 0x80) !== 0;
    let offset = 2;
    let length = len7;
    if (len7 === 126) {
      length = header.readUInt16BE(2);
      offset = 4;
    } else if (len7 === 127) {
      const big = header.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.#stopped = true;
        return;
      }
      length = Number(big);
      offset = 10;
    }
    if (!masked) {
      this.#stopped = true; // a client must mask; this is not a client stream
      return;
    }
    if (opcode === 2) this.#binaryMessage = true;
    else if (opcode === 1) this.#binaryMessage = false;
    this.#forward = opcode === 2 || (opcode === 0 && this.#binaryMessage);
    this.#mask = { key: header.subarray(offset, offset + 4), offset: 0 };
    this.#remaining = length;
  }
}
