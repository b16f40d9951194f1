import { createRequire } from 'node:module';
import { constants, inflateSync } from 'node:zlib';

/**
 * Finds the ports of a port-forward by watching kubectl's side of the SPDY/3 connection go by
 * (the gateway relays it byte for byte and never changes it). Every forwarded TCP connection
 * opens two SPDY streams whose SYN_STREAM headers carry `port: <n>`; this reads those headers.
 *
 * Passive and bounded: DATA frames (the forwarded application's bytes) are skipped by length
 * without being looked at (or, inside WebSocket, unmasked); header blocks are inflated with the
 * SPDY/3 dictionary — the zlib stream is shared by the whole connection, so every block is
 * inflated in order, which is done by re-inflating the concatenation (blocks are ~100 bytes).
 * After {@link MAX_BLOCKS} header blocks, a control frame over 64 KiB, or anything that does not
 * parse, it stops looking: ports are "where they can be parsed".
 */

const MAX_BLOCKS = 256;
const MAX_CONTROL = 64 * 1024;
const SYN_STREAM = 1;
const HEADERS = 8;

const DICTIONARY: Buffer = (() => {
  const dictionaries: unknown = createRequire(import.meta.url)(
    'spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js',
  );
  const dictionary =
    typeof dictionaries === 'object' && dictionaries !== null ? Reflect.get(dictionaries, '3') : undefined;
  if (!Buffer.isBuffer(dictionary)) throw new Error('spdy-transport no longer ships the SPDY/3 dictionary');
  return dictionary;
})();

/** Masking of WebSocket client frames: byte i of a payload is XORed with key[(offset + i) % 4]. */
export interface Mask {
  key: Buffer;
  offset: number;
}

export class SpdyPortSniffer {
  readonly #ports = new Set<number>();
  #head: Buffer[] = [];
  #headBytes = 0;
  /** Bytes of the current frame still to skip (DATA) or to collect (control). */
  #skip = 0;
  #collect = 0;
  #blocks: Buffer[] = [];
  #inflated = 0;
  #stopped = false;

  ports(): number[] {
    return [...this.#ports].sort((a, b) => a - b);
  }

  /** Feeds client→server bytes; `mask` when they are a masked WebSocket payload. */
  write(bytes: Buffer, mask?: Mask): void {
    let at = 0;
    while (!this.#stopped && at < bytes.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, bytes.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const want = this.#collect > 0 ? this.#collect : 8 - this.#headBytes;
      const n = Math.min(want, bytes.length - at);
      this.#head.push(unmask(bytes.subarray(at, at + n), mask, at));
      this.#headBytes += n;
      at += n;
      if (this.#collect > 0) {
        this.#collect -= n;
        if (this.#collect === 0) this.#controlFrame(Buffer.concat(this.#head));
      } else if (this.#headBytes === 8) this.#frameHeader(Buffer.concat(this.#head));
    }
  }

  #frameHeader(header: Buffer): void {
    const length = header.readUIntBE(5, 3);
    const control = (header[0]! & 0x80) !== 0;
    const type = header.readUInt16BE(2);
    if (!control || (type !== SYN_STREAM && type !== HEADERS)) {
      this.#reset();
      this.#skip = length;
      return;
    }
    if (length > MAX_CONTROL) {
      this.#stop();
      return;
    }
    if (length === 0) {
      this.#reset();
      return;
    }
    this.#collect = length; // the frame is parsed once the header and its payload are in
  }

  #controlFrame(frame: Buffer): void {
    this.#reset();
    const type = frame.readUInt16BE(2);
    const offset = 8 + (type === SYN_STREAM ? 10 : 4);
    if (frame.length < offset) {
      this.#stop();
      return;
    }
    this.#blocks.push(frame.subarray(offset));
    if (this.#blocks.length > MAX_BLOCKS) {
      this.#stop();
      return;
    }
    try {
      const all = inflateSync(Buffer.concat(this.#blocks), {
        dictionary: DICTIONARY,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
      const block = all.subarray(this.#inflated);
      this.#inflated = all.length;
      const port = headerValue(block, 'port');
      const number = Number(port);
      if (port !== undefined && Number.isInteger(number) && number > 0 && number < 65536)
        this.#ports.add(number);
    } catch {
      this.#stop();
    }
  }

  #reset(): void {
    this.#head = [];
    this.#headBytes = 0;
  }

  #stop(): void {
    this.#stopped = true;
    this.#head = [];
    this.#blocks = [];
  }
}

function unmask(bytes: Buffer, mask: Mask | undefined, at: number): Buffer {
  if (!mask) return Buffer.from(bytes);
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ mask.key[(mask.offset + at + i) & 3]!;
  return out;
}

/** The value of `name` in a SPDY/3 name/value block, or undefined. */
function headerValue(block: Buffer, name: string): string | undefined {
  if (block.length < 4) return undefined;
  let offset = 4;
  const count = block.readUInt32BE(0);
  for (let i = 0; i < count && offset + 4 <= block.length; i++) {
    const nameLength = block.readUInt32BE(offset);
    const key = block.toString('utf8', offset + 4, offset + 4 + nameLength);
    offset += 4 + nameLength;
    if (offset + 4 > block.length) return undefined;
    const valueLength = block.readUInt32BE(offset);
    const value = block.toString('utf8', offset + 4, offset + 4 + valueLength);
    offset += 4 + valueLength;
    if (key.toLowerCase() === name) return value.split('\0')[0];
  }
  return undefined;
}
