import { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RespWriter } from '../../src/redis/resp-writer.ts';

/** The same command as ioredis writes it itself: the oracle for the writer's bytes. */
function ioredisBytes(name: string, args: Array<string | number | Buffer>): Buffer {
  const written = new Command(name, args).toWritable({});
  return typeof written === 'string' ? Buffer.from(written) : written;
}

describe('RespWriter', () => {
  it('writes the bytes ioredis writes for the same command: strings (UTF-8), numbers, bytes and reserved bytes', () => {
    const reserved = Buffer.from('{"frames":"ÿ\u0000\r\n"}');
    const args = ['sha', 3, 'key:é', '', Buffer.from([0, 13, 10, 255]), reserved];
    const writer = new RespWriter(1 + args.length, Buffer.alloc(4096));
    writer.string('evalsha');
    writer.string('sha');
    writer.string(3);
    writer.string('key:é');
    writer.string('');
    writer.bytes(Buffer.from([0, 13, 10, 255]));
    reserved.copy(writer.reserve(reserved.length));
    expect(writer.finish()).toEqual(ioredisBytes('evalsha', args));
  });

  it('moves to a larger buffer when an argument does not fit, keeping what was written', () => {
    const lent = Buffer.alloc(8);
    const big = Buffer.alloc(100_000, 'x');
    const writer = new RespWriter(3, lent);
    writer.string('set');
    writer.string('k');
    big.copy(writer.reserve(big.length));
    const wire = writer.finish();
    expect(wire).toEqual(ioredisBytes('set', ['k', big]));
    expect(wire.buffer).not.toBe(lent.buffer);
  });

  it('fills a placeholder after a later argument moved the command to a larger buffer', () => {
    // A pooled buffer's slice, as the store lends them: offsets are the command's, not the slab's.
    const lent = Buffer.alloc(64).subarray(16, 48);
    const hash = 'h'.repeat(64);
    const line = Buffer.alloc(50_000, 'l');
    const writer = new RespWriter(4, lent);
    writer.string('hset');
    writer.string('k');
    const field = writer.placeholder(hash.length);
    line.copy(writer.reserve(line.length));
    writer.fill(field, hash);
    const wire = writer.finish();
    expect(wire).toEqual(ioredisBytes('hset', ['k', hash, line]));
    expect(wire.buffer).not.toBe(lent.buffer);
  });

  it('writes in the lent buffer when everything fits', () => {
    const lent = Buffer.alloc(1024);
    const writer = new RespWriter(2, lent);
    writer.string('get');
    writer.string('k');
    const wire = writer.finish();
    expect(wire.buffer).toBe(lent.buffer);
    expect(wire.toString()).toBe('*2\r\n$3\r\nget\r\n$1\r\nk\r\n');
  });

  it('refuses a command with fewer or more arguments than it declared', () => {
    const short = new RespWriter(3, Buffer.alloc(64));
    short.string('get');
    short.string('k');
    expect(() => short.finish()).toThrow(/3 arguments was written with 2/);
    const long = new RespWriter(1, Buffer.alloc(64));
    long.string('ping');
    expect(() => long.string('again')).toThrow(/given more/);
  });
});
