/**
 * The demo empties its key prefix at every start (SCAN MATCH `<prefix>:*`, then UNLINK). A prefix
 * holding Redis glob characters would widen that pattern: `--key-prefix '*'` once matched every
 * key with a colon in it, so one mistyped demo start deleted other gateways' reviews and
 * recordings in a shared Redis. The prefix is now checked before anything is written or deleted.
 *
 * Against a throwaway redis-server, so a regression deletes nothing any other test relies on.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearDemoKeys } from '../../cli/demo-redis.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

const BIN = new URL('../../bin/hoop-gateway.ts', import.meta.url).pathname;
/** Keys another gateway and another demo keep in the same Redis. */
const NEIGHBOURS = [
  'hoop:approvals:review:r-abc123',
  'hoop:rec:meta:s-0123456789',
  'hoop-demo-eks:expire:meta',
];
const GLOBS = ['*', 'hoop*', '?oop', 'h[o]op', 'hoop:*', 'a\\*', ''];

let redis: ThrowawayRedis;
let client: RedisConnection;
let dir: string;

beforeAll(async () => {
  redis = await throwawayRedis();
  await redis.start();
  client = createRequestConnection({ url: redis.url });
  await whenReady(client, 5000);
  dir = await mkdtemp(join(tmpdir(), 'hoop-demo-prefix-'));
});

afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function seedNeighbours(): Promise<void> {
  for (const key of NEIGHBOURS) await client.set(key, 'keep');
}

async function remaining(): Promise<string[]> {
  return (await client.keys('*')).sort();
}

describe('hoop-gateway demo --key-prefix', () => {
  it.each(GLOBS)(
    'refuses %j before touching Redis or the directory, in one readable line',
    async (prefix) => {
      await seedNeighbours();
      const demoDir = join(dir, `run-${GLOBS.indexOf(prefix)}`);
      for (const extra of [[], ['--eks']]) {
        const child = spawn(
          process.execPath,
          [BIN, 'demo', '--dir', demoDir, '--port', '0', '--key-prefix', prefix, ...extra],
          { env: { ...process.env, REDIS_URL: redis.url }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          output += chunk.toString();
        });
        // A demo that starts instead runs until stopped: stopped here, so a regression fails fast.
        const stop = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const [code] = (await once(child, 'exit')) as [number | null];
        clearTimeout(stop);
        expect(code).toBe(2);
        expect(output).toContain('--key-prefix');
        expect(output).toContain('is not a key prefix');
        expect(output).not.toMatch(/\n\s+at .*:\d+/);
        expect(output).not.toContain('ready');
      }
      expect(await remaining()).toEqual([...NEIGHBOURS].sort());
      // Nothing was written: no configuration, policy or keys for a demo that did not start.
      await expect(readdir(demoDir)).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('the clearing itself refuses a glob prefix too (a second guard), deleting nothing', async () => {
    await seedNeighbours();
    for (const prefix of GLOBS)
      await expect(clearDemoKeys(redis.url, prefix)).rejects.toThrow(/is not a key prefix/);
    expect(await remaining()).toEqual([...NEIGHBOURS].sort());
  });

  it('a valid prefix deletes its own keys and no neighbour’s, a prefix that begins another included', async () => {
    await seedNeighbours();
    await client.set('hoop-demo:approvals:review:r-old000', 'from an earlier run');
    await client.set('hoop-demo:expire:meta', 'from an earlier run');
    expect(await clearDemoKeys(redis.url, 'hoop-demo')).toEqual({ answered: true, deleted: 2 });
    expect(await remaining()).toEqual([...NEIGHBOURS].sort());
  });
});
