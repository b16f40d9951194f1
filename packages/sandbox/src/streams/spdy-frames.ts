/**
 * SPDY/3 frame layout (draft-mbelshe-httpbis-spdy-00, "SPDY Protocol - Draft 3"), the framing
 * that Go's moby/spdystream, and so kubectl port-forward, speaks after `Upgrade: SPDY/3.1`
 * (3.1 only adds a session WINDOW_UPDATE, which spdystream neither sends nor honours).
 *
 * Every frame has an 8-byte head. Control frames: bit 1, 15-bit version (3), 16-bit type,
 * 8-bit flags, 24-bit length. Data frames: bit 0, 31-bit stream id, 8-bit flags, 24-bit length.
 * This module only cuts bytes into frames and builds frames; the header blocks inside
 * SYN_STREAM / SYN_REPLY / HEADERS are {@link ./spdy-headers.ts}'s business.
 */

export const SPDY_VERSION = 3;

export const FRAME_TYPE = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goaway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RST_STATUS = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  cancel: 5,
  internalError: 6,
  streamAlreadyClosed: 9,
} as const;

export const GOAWAY_STATUS = { ok: 0, protocolError: 1, internalError: 2 } as const;

/** Data frames are cut to this size; any size up to 2^24-1 is legal. */
export const MAX_DATA_PAYLOAD = 32 * 1024;

export type Frame =
  | { control: false; streamId: number; flags: number; data: Buffer }
  | { control: true; version: number; type: number; flags: number; payload: Buffer };

/** Cuts a byte stream into frames; keeps a partial frame until the rest arrives. */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns every frame now complete, in order. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    while (this.#pending.length >= 8) {
      const length = this.#pending.readUIntBE(5, 3);
      if (this.#pending.length < 8 + length) break;
      const first = this.#pending.readUInt32BE(0);
      const flags = this.#pending[4] ?? 0;
      const body = this.#pending.subarray(8, 8 + length);
      if (first & 0x80000000) {
        frames.push({
          control: true,
          version: (first >>> 16) & 0x7fff,
          type: first & 0xffff,
          flags,
          payload: body,
        });
      } else {
        frames.push({ control: false, streamId: first & 0x7fffffff, flags, data: body });
      }
      this.#pending = this.#pending.subarray(8 + length);
    }
    return frames;
  }
}

function head(first: number, flags: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(8);
  buffer.writeUInt32BE(first >>> 0, 0);
  buffer[4] = flags;
  buffer.writeUIntBE(length, 5, 3);
  return buffer;
}

/** A control frame of `type` around `payload`. */
export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([head((0x8000 | SPDY_VERSION) * 0x10000 + type, flags, payload.length), payload]);
}

/** DATA frames for `data` (none if empty and not `fin`; one empty frame carries a lone FIN). */
export function dataFrames(streamId: number, data: Buffer, fin: boolean): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < data.length || (fin && frames.length === 0); offset += MAX_DATA_PAYLOAD) {
    const part = data.subarray(offset, offset + MAX_DATA_PAYLOAD);
    const last = offset + MAX_DATA_PAYLOAD >= data.length;
    frames.push(head(streamId & 0x7fffffff, fin && last ? FLAG_FIN : 0, part.length), part);
  }
  return frames;
}

/** Reads the 31-bit stream id at `offset`. */
export function streamIdAt(payload: Buffer, offset = 0): number {
  return payload.length >= offset + 4 ? payload.readUInt32BE(offset) & 0x7fffffff : 0;
}

function ids(...values: number[]): Buffer {
  const buffer = Buffer.allocUnsafe(values.length * 4);
  values.forEach((value, i) => {
    buffer.writeUInt32BE(value >>> 0, i * 4);
  });
  return buffer;
}

/** SYN_REPLY: stream id, then the (compressed) header block. */
export function synReplyFrame(streamId: number, headerBlock: Buffer, fin: boolean): Buffer {
  return controlFrame(FRAME_TYPE.synReply, fin ? FLAG_FIN : 0, Buffer.concat([ids(streamId), headerBlock]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  return controlFrame(FRAME_TYPE.rstStream, 0, ids(streamId, status));
}

export function goawayFrame(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(FRAME_TYPE.goaway, 0, ids(lastGoodStreamId, status));
}
