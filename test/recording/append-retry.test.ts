import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { COMMAND_BUFFERS, RecordingStore } from '../../gateway/recording/session-store.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import type { StreamDataEvent } from '../../src/recording/event.types.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';
import { CALLER } from './support.ts';

/**
 * An append whose reply never came back in time: Redis was frozen (SIGSTOP) longer than the
 * connection's command timeout, so the call failed and was sent again through the outage wait
 * (as on a Sentinel or Cluster topology), while the first send still sat in Redis's socket. When
 * Redis thaws it runs both: the first adds the events, the second finds the tail moved. That tail
 * is the batch's own last event; sealing the events again on it recorded them twice.
 */

const PREFIX = 'rec-retry';
const identity = sessionIdentity(CALLER, 'prod', {
  'kubectl-session': 'retry-1',
  'kubectl-command': 'kubectl get',
});

let server: ThrowawayRedis | undefined;
let redis: RedisConnection | undefined;
afterEach(async () => {
  server?.resume();
  redis?.disconnect();
  await server?.stop();
});

/** A Redis of its own whose replies time out after 300 ms, a store on it and a session it opened. */
async function sessionOnThrowawayRedis() {
  const started = await throwawayRedis();
  server = started;
  await started.start();
  const connection = createRequestConnection({
    url: started.url,
    commandTimeoutMs: 300,
    outageWaitMs: 10_000,
  });
  redis = connection;
  await whenReady(connection, 5000);
  const store = new RecordingStore({ redis: connection, prefix: PREFIX, idleGapMs: 60_000 });
  const { id } = await store.resolve({ identity, caller: CALLER, cluster: 'prod' });
  return { server: started, redis: connection, store, id };
}

describe('an append retried after its reply was lost', () => {
  it('is recorded once, and the chain stays intact', async () => {
    const { server, redis, store, id } = await sessionOnThrowawayRedis();

    server.pause();
    const appended = store.append(
      id,
      identity.key,
      { type: 'request', rid: 'r-1', method: 'GET', path: '/api/v1/pods', headers: {} },
      { incr: { requests: 1 } },
    );
    // Several sends time out meanwhile (300 ms each, 200 ms apart), every one queued in the socket.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    server.resume();
    const outcome = await appended;
    expect(outcome).toMatchObject({ kind: 'ok', seq: 2 });
    // The retry's conflict claimed the next turn (append.lua); it is given back, so another
    // replica's appends do not wait out the turn's 200 ms for appends already made.
    expect(await redis.exists(recordingKeys(PREFIX).turn(id))).toBe(0);
    // The next append lands on the tail the first one left.
    await store.append(id, identity.key, { type: 'response', rid: 'r-1', status: 200, durationMs: 1 });

    const index = new SessionIndex(redis, recordingKeys(PREFIX));
    const lines = await index.liveLines(id);
    const types = lines.map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types).toEqual(['session', 'request', 'response']);
    const meta = await index.get(id);
    expect(meta?.requests).toBe(1);
    expect(verifyChain(id, lines, { count: meta?.seq, finalHash: meta?.hash })).toMatchObject({
      ok: true,
      count: 3,
    });
  });

  it("holds for a stream's frames, whose command is written into a reused buffer and sent several times", async () => {
    const { server, redis, store, id } = await sessionOnThrowawayRedis();

    // ~400 KB commands: the sends that time out fill the socket, and Node holds the rest of them.
    const bytes = [randomBytes(300_000), randomBytes(300_000)];
    const pooled = COMMAND_BUFFERS.free;
    server.pause();
    const first = store.appendAll(id, identity.key, [
      { type: 'stream-data', stream: 's', frames: [[0, 1, bytes[0]!]] },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // Every send of the command so far is still to be read: its buffer is held, not in the pool.
    expect(COMMAND_BUFFERS.free).toBe(Math.max(0, pooled - 1));
    server.resume();
    expect(await first).toMatchObject({ kind: 'ok', seq: 2 });
    // The reply came after Redis had read every send: the buffer is back and carries the next append.
    expect(COMMAND_BUFFERS.free).toBe(Math.max(pooled, 1));
    await store.appendAll(id, identity.key, [
      { type: 'stream-data', stream: 's', frames: [[1, 1, bytes[1]!]] },
    ]);

    const index = new SessionIndex(redis, recordingKeys(PREFIX));
    const lines = await index.liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 3 });
    const frames = lines.slice(1).map((line) => (JSON.parse(line) as StreamDataEvent).frames[0]![2]);
    expect(frames.map((data) => Buffer.from(data, 'base64'))).toEqual(bytes);
  });
});
