import { Command } from 'ioredis';
import type { RedisConnection } from '../queues/connections.ts';
import { RespWriter } from './resp-writer.ts';

/**
 * Commands whose RESP bytes their caller writes into a buffer it lends (resp-writer.ts says why):
 * a stream's batch of frames, hundreds of KB, goes to the socket as written, where ioredis would
 * copy every Buffer argument into a fresh buffer first.
 */

/** A command whose RESP bytes were written beforehand; ioredis sends them as they are. */
export class WrittenCommand extends Command {
  readonly #wire: Buffer;

  /** `routing`: the leading arguments, which ioredis reads to route it on a Redis Cluster. */
  constructor(name: string, routing: Array<string | number>, wire: Buffer) {
    super(name, routing, { replyEncoding: 'utf8' });
    this.#wire = wire;
  }

  override toWritable(): Buffer {
    return this.#wire;
  }
}

/** A plain command on one key, its remaining arguments written by the caller, then sent. */
export interface WrittenKeyCommand {
  readonly writer: RespWriter;
  send(): Promise<unknown>;
}

/**
 * Starts `<name> <key>` followed by `args` arguments the caller writes, in `buffer`. The buffer
 * must stay untouched until the command settles, and after a failure for as long as the
 * connection may send it again.
 */
export function writtenKeyCommand(
  redis: RedisConnection,
  name: string,
  key: string,
  args: number,
  buffer: Buffer,
): WrittenKeyCommand {
  const writer = new RespWriter(2 + args, buffer);
  writer.string(name);
  writer.string(key);
  return {
    writer,
    send: () => redis.sendCommand(new WrittenCommand(name, [key], writer.finish())) as Promise<unknown>,
  };
}
