import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as endOfTurn } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { luaScripts } from '../../src/redis/lua-scripts.ts';
import { writeOncePerTurn } from '../../src/redis/turn-writes.ts';
import { REDIS_URL } from '../support/redis.ts';
import { countWrites } from '../support/socket-writes.ts';

/**
 * A connection's commands of one event-loop turn leave in one write (turn-writes.ts), against the
 * real Redis: counted on the socket itself, with every reply where it belongs.
 */

const connections: RedisConnection[] = [];
afterEach(() => {
  for (const connection of connections.splice(0)) connection.disconnect();
});

async function connected(corked: boolean): Promise<RedisConnection & { stream: Socket }> {
  const redis = createRequestConnection({ url: REDIS_URL, name: 'hoop-test-turn-writes' });
  connections.push(redis);
  if (corked) writeOncePerTurn(redis);
  // A request connection refuses commands until it is ready (no offline queue).
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis as RedisConnection & { stream: Socket };
}

const key = `hoop-test:turn-writes:${process.pid}`;

describe('writeOncePerTurn', () => {
  it("sends a turn's commands in one write, each answered in order", async () => {
    const redis = await connected(true);
    await redis.del(key);
    const writes = countWrites(redis.stream);
    const replies = await Promise.all(Array.from({ length: 20 }, () => redis.incr(key)));
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(writes.count).toBe(1);
    await redis.del(key);
  });

  it('writes once per command without it (what the test above would see unchanged)', async () => {
    const redis = await connected(false);
    const writes = countWrites(redis.stream);
    await Promise.all(Array.from({ length: 20 }, () => redis.ping()));
    expect(writes.count).toBe(20);
  });

  it('sends a later turn its own write, so no command waits beyond its turn', async () => {
    const redis = await connected(true);
    const writes = countWrites(redis.stream);
    for (let turn = 1; turn <= 3; turn++) {
      expect(await redis.echo(`turn ${turn}`)).toBe(`turn ${turn}`);
      expect(writes.count).toBe(turn);
    }
    // Commands sent from the turn's end (setImmediate), as the recording's pump does, leave too.
    await endOfTurn();
    expect(await Promise.all([redis.echo('a'), redis.echo('b')])).toEqual(['a', 'b']);
    expect(writes.count).toBe(4);
  });

  it('sends a command written in place at once; what follows it in the turn is held', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hoop-turn-writes-'));
    try {
      await writeFile(
        join(dir, 'length.lua'),
        '-- length: of ARGV[1]\nreturn { tostring(string.len(ARGV[1])) }\n',
      );
      const redis = await connected(true);
      const scripts = luaScripts(pathToFileURL(`${dir}/`), [
        { name: 'hoopTestLength', file: 'length.lua', keys: 1 },
      ])(redis);
      await scripts.hoopTestLength('k', 'load the script');
      const writes = countWrites(redis.stream);
      const call = scripts.written.hoopTestLength(['k'], 1, Buffer.alloc(64 * 1024));
      randomBytes(300_000).copy(call.writer.reserve(300_000));
      const written = call.send();
      // A stream's batch fills a write of its own: holding it only kept Redis waiting.
      expect(writes.count).toBe(1);
      const small = redis.echo('behind it');
      expect(writes.count).toBe(1);
      expect(await written).toEqual({ head: ['300000'], fields: {} });
      expect(await small).toBe('behind it');
      expect(writes.count).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('settles commands whose connection is lost in the turn they were sent, and goes on', async () => {
    const redis = await connected(true);
    const lost = Array.from({ length: 5 }, (_, i) => redis.echo(`lost ${i}`).then(String, (e: Error) => e));
    redis.stream.destroy();
    const settled = await Promise.all(lost);
    // Resent after the reconnect or refused: either way answered, none hanging.
    for (const [i, outcome] of settled.entries()) {
      if (typeof outcome === 'string') expect(outcome).toBe(`lost ${i}`);
      else expect(outcome).toBeInstanceOf(Error);
    }
    await expect.poll(() => redis.status, { timeout: 5000 }).toBe('ready');
    expect(await redis.echo('after')).toBe('after');
  });
});
