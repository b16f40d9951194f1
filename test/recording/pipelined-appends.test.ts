import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { RecordingStore } from '../../gateway/recording/session-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import type { StreamDataBytesEvent, StreamDataEvent } from '../../src/recording/event.types.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';
import { CALLER } from './support.ts';

/**
 * A stream's next batch of frames is sent before the reply to the one before it, sealed on the
 * tail that one will leave. When the one before is not appended (another replica got there
 * first), the one behind must not be appended either: Redis checks the tail's hash as well as its
 * sequence number, because the other replica's events can bring the sequence number to exactly
 * where the batch behind expects it. A Redis of its own, so its command counts are this test's.
 */

const PREFIX = 'rec-pipelined';
const identity = sessionIdentity(CALLER, 'prod', {
  'kubectl-session': 'pipelined-1',
  'kubectl-command': 'kubectl exec',
});
const frames = (label: string): StreamDataBytesEvent => ({
  type: 'stream-data',
  stream: 'exec-1',
  frames: [[0, 1, Buffer.from(`${label}\n`.repeat(4000))]],
});

let server: ThrowawayRedis | undefined;
const connections: RedisConnection[] = [];
afterEach(async () => {
  for (const redis of connections.splice(0)) redis.disconnect();
  await server?.stop();
});

async function connect(url: string): Promise<RedisConnection> {
  const redis = createRequestConnection({ url, commandTimeoutMs: 5000 });
  connections.push(redis);
  await whenReady(redis, 5000);
  return redis;
}

/** A Redis of its own, two replicas' stores on it (a and b), and a session a opened. */
async function twoReplicasOnOneSession() {
  server = await throwawayRedis();
  await server.start();
  const redis = await connect(server.url);
  const store = (replica: string, connection: RedisConnection) =>
    new RecordingStore({ redis: connection, prefix: PREFIX, idleGapMs: 60_000, replica });
  const a = store('a', redis);
  const b = store('b', await connect(server.url));
  const { id } = await a.resolve({ identity, caller: CALLER, cluster: 'prod' });
  return { redis, a, b, id };
}

async function appendScriptCalls(redis: RedisConnection): Promise<number> {
  const stats = await redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

describe('stream batches sent behind one another', () => {
  it('are re-sealed in order when the first lost a race, even where the sequence numbers line up', async () => {
    const { redis, a, b, id } = await twoReplicasOnOneSession();
    await a.appendAll(id, identity.key, [frames('a-0')]);
    // Replica b appends one event: a's view of the tail is now one behind, and a's first batch
    // (one event) will end exactly at b's sequence number.
    await b.appendAll(id, identity.key, [frames('b-0')]);
    await redis.config('RESETSTAT');

    const first = a.appendAll(id, identity.key, [frames('a-1')]);
    const second = a.appendAll(id, identity.key, [frames('a-2')]);
    const outcomes = await Promise.all([first, second]);

    // Both went out before either reply (each then went again): one at a time would be three calls.
    expect(await appendScriptCalls(redis)).toBe(4);
    expect(outcomes.map((o) => o.kind)).toEqual(['ok', 'ok']);
    const index = new SessionIndex(redis, recordingKeys(PREFIX));
    const lines = await index.liveLines(id);
    const meta = await index.get(id);
    expect(verifyChain(id, lines, { count: meta?.seq, finalHash: meta?.hash })).toMatchObject({
      ok: true,
      count: 5,
    });
    const labels = lines
      .slice(1)
      .map((line) => Buffer.from((JSON.parse(line) as StreamDataEvent).frames[0]![2], 'base64'))
      .map((bytes) => bytes.toString().split('\n')[0]);
    expect(labels).toEqual(['a-0', 'b-0', 'a-1', 'a-2']);
    // The turn the lost race claimed is given back by the append that follows it.
    expect(await redis.exists(recordingKeys(PREFIX).turn(id))).toBe(0);
  });

  it('keep a long stream in order on one chain while another replica appends to the session', async () => {
    const { redis, a, b, id } = await twoReplicasOnOneSession();
    const appends: Array<Promise<unknown>> = [];
    for (let i = 0; i < 200; i++) {
      appends.push(a.appendAll(id, identity.key, [frames(`a-${i}`)]));
      if (i % 3 === 0) appends.push(b.appendAll(id, identity.key, [frames(`b-${i}`)]));
    }
    await Promise.all(appends);

    const index = new SessionIndex(redis, recordingKeys(PREFIX));
    const lines = await index.liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 1 + 200 + 67 });
    const labels = lines
      .slice(1)
      .map((line) => Buffer.from((JSON.parse(line) as StreamDataEvent).frames[0]![2], 'base64'))
      .map((bytes) => bytes.toString().split('\n')[0]!);
    // Each replica's events once each, in the order it made them.
    expect(labels.filter((l) => l.startsWith('a-'))).toEqual(Array.from({ length: 200 }, (_, i) => `a-${i}`));
    expect(labels.filter((l) => l.startsWith('b-'))).toEqual(
      Array.from({ length: 67 }, (_, i) => `b-${i * 3}`),
    );
    expect(await redis.exists(recordingKeys(PREFIX).turn(id))).toBe(0);
  });
});
