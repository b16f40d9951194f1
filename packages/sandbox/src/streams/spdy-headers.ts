/**
 * SPDY/3 header blocks: a name/value block (uint32 count, then uint32-length-prefixed names and
 * values; several values of one name joined by NUL) carried in ONE zlib stream per direction
 * for the whole connection, primed with the SPDY/3 dictionary. Because the zlib state is
 * shared, every block must be inflated, in order, even the ones we ignore.
 *
 * Inbound: kubectl's Go framer deflates with the dictionary (zlib.NewWriterLevelDict + Flush),
 * so we inflate with Node's zlib and the same dictionary (taken from spdy-transport, which ships
 * it). Outbound: we only ever send tiny blocks (a SYN_REPLY with no headers), so we write them
 * as zlib *stored* blocks: valid zlib that any inflater reads with or without the dictionary,
 * produced synchronously, so a SYN_REPLY can never be overtaken by the stream's DATA frames.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const SPDY3_DICTIONARY: Buffer = loadDictionary();

function loadDictionary(): Buffer {
  const require = createRequire(import.meta.url);
  const dictionaries: unknown = require('spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js');
  const dictionary =
    typeof dictionaries === 'object' && dictionaries !== null
      ? (dictionaries as Record<string, unknown>)['3']
      : undefined;
  if (!Buffer.isBuffer(dictionary)) throw new Error('spdy-transport no longer ships the SPDY/3 dictionary');
  return dictionary;
}

export type HeaderMap = Map<string, string[]>;

/** Serialises a name/value block (names lowercased, as SPDY/3 requires). */
export function encodeNameValueBlock(headers: ReadonlyMap<string, readonly string[]>): Buffer {
  const parts: Buffer[] = [uint32(headers.size)];
  for (const [name, values] of headers) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(values.join('\0'), 'utf8');
    parts.push(uint32(nameBytes.length), nameBytes, uint32(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

/** Parses a name/value block; throws on truncation. */
export function decodeNameValueBlock(block: Buffer): HeaderMap {
  let offset = 0;
  const take = (): Buffer => {
    if (offset + 4 > block.length) throw new Error('SPDY header block truncated');
    const length = block.readUInt32BE(offset);
    offset += 4;
    if (offset + length > block.length) throw new Error('SPDY header block truncated');
    offset += length;
    return block.subarray(offset - length, offset);
  };
  if (block.length < 4) throw new Error('SPDY header block truncated');
  const count = block.readUInt32BE(0);
  offset = 4;
  const headers: HeaderMap = new Map();
  for (let i = 0; i < count; i++) {
    const name = take().toString('utf8').toLowerCase();
    const values = take().toString('utf8').split('\0');
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/** The outbound zlib stream, written as stored blocks. */
export class HeaderCompressor {
  #started = false;

  /** The compressed form of `headers`, continuing this connection's zlib stream. */
  compress(headers: ReadonlyMap<string, readonly string[]> = new Map()): Buffer {
    const raw = encodeNameValueBlock(headers);
    const parts: Buffer[] = [];
    if (!this.#started) {
      // CMF 0x78 (deflate, 32K window), FLG 0x01: no preset dictionary, check bits valid.
      parts.push(Buffer.from([0x78, 0x01]));
      this.#started = true;
    }
    for (let offset = 0; offset < raw.length; offset += 0xffff) {
      const chunk = raw.subarray(offset, offset + 0xffff);
      const blockHead = Buffer.alloc(5);
      blockHead[0] = 0x00; // BFINAL 0, BTYPE 00 (stored); the stream never ends
      blockHead.writeUInt16LE(chunk.length, 1);
      blockHead.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(blockHead, chunk);
    }
    // The sync-flush marker (an empty stored block), as zlib's Z_SYNC_FLUSH ends every block:
    // Go's flate hands out a stored block's bytes only when it reaches the next block, so
    // without it kubectl's framer runs dry inside the frame and its zlib reader stays broken.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/** The inbound zlib stream; `decompress` calls are served strictly in call order. */
export class HeaderDecompressor {
  #inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY, flush: zlib.constants.Z_SYNC_FLUSH });
  #output: Buffer[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor() {
    this.#inflate.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#inflate.on('error', () => {}); // reported through the write callback
  }

  /** Inflates one frame's header block and parses it. */
  decompress(compressed: Buffer): Promise<HeaderMap> {
    const result = this.#queue.then(
      () =>
        new Promise<HeaderMap>((resolve, reject) => {
          this.#output = [];
          this.#inflate.write(compressed, (error) => {
            if (error) reject(error);
            else resolve(decodeNameValueBlock(Buffer.concat(this.#output)));
          });
        }),
    );
    this.#queue = result.catch(() => {});
    return result;
  }

  close(): void {
    this.#inflate.destroy();
  }
}

function uint32(value: number): Buffer {
  const buffer = Buffer.allocUnsafe(4);
  buffer.writeUInt32BE(value, 0);
  return buffer;
}
