/**
 * SPDY/3 framing and header blocks without a network: frames cut from arbitrary chunking,
 * inbound header blocks deflated the way Go's framer does (dictionary + sync flush, one zlib
 * stream per connection), outbound blocks readable by a standard inflater and ending with the
 * sync-flush marker Go's flate needs to hand the bytes over.
 */
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  controlFrame,
  dataFrames,
  FLAG_FIN,
  FRAME_TYPE,
  FrameReader,
  MAX_DATA_PAYLOAD,
  rstStreamFrame,
} from '../../src/streams/spdy-frames.ts';
import {
  decodeNameValueBlock,
  encodeNameValueBlock,
  HeaderCompressor,
  HeaderDecompressor,
} from '../../src/streams/spdy-headers.ts';

const dictionary: Buffer = createRequire(import.meta.url)(
  'spdy-transport/lib/spdy-transport/protocol/spdy/dictionary.js',
)[3];

describe('FrameReader', () => {
  it('reassembles frames from one-byte chunks', () => {
    const bytes = Buffer.concat([...dataFrames(1, Buffer.from('hello'), true), rstStreamFrame(3, 5)]);
    const reader = new FrameReader();
    const frames = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(frames).toEqual([
      { control: false, streamId: 1, flags: FLAG_FIN, data: Buffer.from('hello') },
      {
        control: true,
        version: 3,
        type: FRAME_TYPE.rstStream,
        flags: 0,
        payload: Buffer.from([0, 0, 0, 3, 0, 0, 0, 5]),
      },
    ]);
  });

  it('splits large data and puts FIN on the last frame only', () => {
    const data = Buffer.alloc(MAX_DATA_PAYLOAD * 2 + 10, 1);
    const frames = new FrameReader().push(Buffer.concat(dataFrames(7, data, true)));
    expect(frames.map((f) => (f.control ? -1 : f.flags))).toEqual([0, 0, FLAG_FIN]);
    expect(Buffer.concat(frames.map((f) => (f.control ? Buffer.alloc(0) : f.data))).equals(data)).toBe(true);
  });

  it('builds control frames with version 3', () => {
    expect(controlFrame(FRAME_TYPE.ping, 0, Buffer.from([0, 0, 0, 1])).subarray(0, 8)).toEqual(
      Buffer.from([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04]),
    );
  });
});

describe('header blocks', () => {
  it('inflates a connection-long zlib stream the way Go deflates it', async () => {
    const deflate = zlib.createDeflate({ dictionary, level: 9 });
    const output: Buffer[] = [];
    deflate.on('data', (chunk: Buffer) => output.push(chunk));
    const goBlock = async (headers: Map<string, string[]>): Promise<Buffer> => {
      output.length = 0;
      deflate.write(encodeNameValueBlock(headers));
      await new Promise<void>((resolve) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
      return Buffer.concat(output);
    };
    const decompressor = new HeaderDecompressor();
    const first = new Map([
      ['streamtype', ['error']],
      ['port', ['9090']],
      ['requestid', ['0']],
    ]);
    const second = new Map([
      ['streamtype', ['data']],
      ['port', ['9090']],
      ['requestid', ['0']],
    ]);
    const blocks = [await goBlock(first), await goBlock(second)];
    expect(await Promise.all(blocks.map((b) => decompressor.decompress(b)))).toEqual([first, second]);
    decompressor.close();
  });

  it('compresses into stored blocks, each ending with the sync-flush marker', () => {
    const compressor = new HeaderCompressor();
    const first = compressor.compress();
    const second = compressor.compress(new Map([['x-multi', ['a', 'b']]]));
    expect(first.subarray(0, 2)).toEqual(Buffer.from([0x78, 0x01]));
    for (const block of [first, second])
      expect(block.subarray(-5)).toEqual(Buffer.from([0, 0, 0, 0xff, 0xff]));
    const inflated = zlib.inflateSync(Buffer.concat([first, second]), {
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
    });
    expect(decodeNameValueBlock(inflated.subarray(0, 4))).toEqual(new Map());
    expect(decodeNameValueBlock(inflated.subarray(4))).toEqual(new Map([['x-multi', ['a', 'b']]]));
  });

  it('rejects a truncated block', () => {
    expect(() => decodeNameValueBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 0x61]))).toThrow(/truncated/);
  });
});
