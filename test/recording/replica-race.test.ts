import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { REDIS_URL } from '../support/redis.ts';
import { type RecordingHarness, recordingHarness } from './support.ts';

/**
 * Two gateway replicas appending to one session at once, each in its own process (an agent's
 * requests without a `Kubectl-Session` spread over two replicas). Appends are compare-and-set on
 * the chain's tail, and the winner of one race sent its next batch as soon as its reply came, ahead
 * of the loser's retry: under steady load one replica's requests waited until the other's went
 * quiet (0.8 s of 1.6 s here), and the first of them failed with "too many concurrent writers"
 * (a 503 where recording is required). The loser of a race now appends next (append.lua's turns).
 */

const REPLICA = new URL('../support/recording-replica.ts', import.meta.url).pathname;
const LOOPS = 8;
const COUNT = 1500;

let h: RecordingHarness | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  await h?.cleanup();
});

async function startReplica(prefix: string, name: string) {
  const child = spawn(process.execPath, [REPLICA, REDIS_URL, prefix, name, String(LOOPS), String(COUNT)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  expect(first.value).toBe('ready');
  return {
    go: () => child.stdin!.write('go\n'),
    async result(): Promise<{ id: string; appended: number; failures: string[] }> {
      const line = await lines.next();
      await once(child, 'exit');
      return JSON.parse(line.value as string);
    },
  };
}

describe('two replicas appending to one session at once', () => {
  it('both keep appending: neither waits for the other to go quiet, none fails, one intact chain', async () => {
    h = await recordingHarness('replica-race');
    const prefix = `${h.prefix}:rec`;
    const a = await startReplica(prefix, 'a');
    const b = await startReplica(prefix, 'b');
    a.go();
    b.go();
    const [ra, rb] = await Promise.all([a.result(), b.result()]);
    expect(rb.id).toBe(ra.id);
    expect(ra.failures).toEqual([]);
    expect(rb.failures).toEqual([]);
    expect(ra.appended + rb.appended).toBe(2 * LOOPS * COUNT);

    const lines = await new SessionIndex(h.redis, h.keys).liveLines(ra.id);
    expect(verifyChain(ra.id, lines)).toMatchObject({ ok: true, count: 1 + 2 * LOOPS * COUNT });
    // Taking turns, each replica wrote a fair share of the chain's first half; starved, the one
    // that lost the first race wrote next to none of it.
    const firstHalf = lines
      .slice(1, 1 + LOOPS * COUNT)
      .map((line) => (JSON.parse(line) as { by: string }).by);
    for (const replica of ['a', 'b']) {
      const share = firstHalf.filter((by) => by === replica).length / firstHalf.length;
      expect(share, `replica ${replica}'s share of the first half`).toBeGreaterThan(0.25);
    }
    // A claimed turn is given back by the append that used it.
    expect(await h.redis.exists(h.keys.turn(ra.id))).toBe(0);
  }, 60_000);
});
