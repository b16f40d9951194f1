import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionDirectory } from '../../bot/dispatch/sessions.ts';
import { closeSession } from '../../gateway/recording/close-session.ts';
import { pruneExpired } from '../../gateway/recording/retention.ts';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { COMMAND_BUFFERS, RecordingStore } from '../../gateway/recording/session-store.ts';
import { duplicateConnection } from '../../src/queues/connections.ts';
import { readArchiveLines } from '../../src/recording/archive.ts';
import type { EventBody, StreamDataBytesEvent, StreamDataEvent } from '../../src/recording/event.types.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { CALLER, type RecordingHarness, recordingHarness } from './support.ts';

const identity = sessionIdentity(CALLER, 'prod', {
  'kubectl-session': '11111111-2222-3333',
  'kubectl-command': 'kubectl get',
});
const request = (rid: string): EventBody => ({
  type: 'request',
  rid,
  method: 'GET',
  path: '/api/v1/pods',
  headers: {},
});
const response = (rid: string, status = 200): EventBody => ({ type: 'response', rid, status, durationMs: 1 });

let h: RecordingHarness;

/** A second replica's store on the harness's session prefix, with a connection of its own. */
function secondReplica(harness: RecordingHarness) {
  const redis = duplicateConnection(harness.redis, 'hoop-test-replica-b');
  const store = new RecordingStore({
    redis,
    prefix: `${harness.prefix}:rec`,
    idleGapMs: 60_000,
    replica: 'b',
  });
  return Object.assign(store, {
    close: async () => {
      await store.drain();
      redis.disconnect();
    },
  });
}
afterEach(async () => h?.cleanup());

describe('the live recording store', () => {
  it('opens one session per identity and chains its events', async () => {
    h = await recordingHarness('store');
    const first = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const again = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    expect(first.id).toMatch(/^s-[0-9a-z]{10}$/);
    await h.store.append(first.id, identity.key, request('r-1'), { incr: { requests: 1, inflight: 1 } });
    await h.store.append(first.id, identity.key, response('r-1'), { incr: { inflight: -1 } });
    const index = new SessionIndex(h.redis, h.keys);
    const lines = await index.liveLines(first.id);
    const meta = await index.get(first.id);
    expect(meta).toMatchObject({
      state: 'open',
      agent: 'agent-1',
      cluster: 'prod',
      command: 'kubectl get',
      requests: 1,
    });
    expect(verifyChain(first.id, lines, { count: meta?.seq, finalHash: meta?.hash })).toMatchObject({
      ok: true,
      count: 3,
    });
    // The index serves the chat bot's `/hoop sessions` as its session directory, as it is.
    const directory: SessionDirectory = index;
    expect(await directory.list({ agent: 'AGENT', cluster: 'prod', limit: 5 })).toMatchObject([
      { id: first.id, agent: 'agent-1', cluster: 'prod', command: 'kubectl get', reviews: [] },
    ]);
    expect(await directory.get(first.id)).toMatchObject({ id: first.id });
  });

  it('appends concurrent events of one session in call order, with their counters, in batches', async () => {
    h = await recordingHarness('batch');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        h.store.append(id, identity.key, i % 2 === 0 ? request(`r-${i}`) : response(`r-${i - 1}`), {
          incr: i % 2 === 0 ? { requests: 1, inflight: 1 } : { inflight: -1 },
          ...(i === 7 ? { set: { 'review:x': 'seven' } } : {}),
        }),
      ),
    );
    // Each caller learns its own place in the chain, in the order it called.
    expect(outcomes.map((o) => (o.kind === 'ok' ? o.seq : 0))).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 2),
    );
    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 31 });
    const rids = lines.slice(1).map((line) => (JSON.parse(line) as { type: string; rid: string }).rid);
    expect(rids).toEqual(Array.from({ length: 30 }, (_, i) => `r-${i - (i % 2)}`));
    const meta = await h.redis.hgetall(h.keys.meta(id));
    expect(meta).toMatchObject({ requests: '15', inflight: '0', 'review:x': 'seven', seq: '31' });
  });

  it('sends appends made in the turn its last reply arrived in together, in one script call', async () => {
    h = await recordingHarness('turn');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const sent = vi.spyOn(h.redis, 'sendCommand');
    const scriptCalls = () =>
      sent.mock.calls.filter(([command]) => ['evalsha', 'eval'].includes(command.name.toLowerCase())).length;
    // The first goes at once; the second waits for it; the third is made as the first's reply
    // arrives, as a request read in the same turn of the event loop would be.
    const first = h.store.append(id, identity.key, request('r-1'));
    const second = h.store.append(id, identity.key, response('r-1'));
    const third = first.then(() => h.store.append(id, identity.key, request('r-2')));
    expect(await Promise.all([first, second, third])).toMatchObject([{ seq: 2 }, { seq: 3 }, { seq: 4 }]);
    expect(scriptCalls()).toBe(2);
    sent.mockRestore();
    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 4 });
  });

  it('appends a group of events together: contiguous among concurrent appends, all or none', async () => {
    h = await recordingHarness('group');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const frames = (n: number): EventBody => ({
      type: 'stream-data',
      stream: 'r-s',
      frames: [[n, 1, Buffer.from(`frame ${n}`).toString('base64')]],
    });
    // 100 events in one group: more than one script call's batch limit would otherwise take.
    const group = Array.from({ length: 100 }, (_, i) => frames(i));
    const [before, grouped, after] = await Promise.all([
      h.store.append(id, identity.key, request('r-1')),
      h.store.appendAll(id, identity.key, group, { incr: { requests: 1 } }),
      h.store.append(id, identity.key, request('r-2')),
    ]);
    // Each caller learns the place of its last event.
    expect([before, grouped, after]).toMatchObject([{ seq: 2 }, { seq: 102 }, { seq: 103 }]);
    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 103 });
    const frameTimes = lines
      .slice(2, 102)
      .map((line) => (JSON.parse(line) as { frames: Array<[number]> }).frames[0]![0]);
    expect(frameTimes).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await h.redis.hget(h.keys.meta(id), 'requests')).toBe('1');

    // A group meant for a session that closed meanwhile adds nothing to it.
    await h.redis.hset(h.keys.meta(id), 'state', 'closing');
    expect(await h.store.appendAll(id, identity.key, [frames(100), frames(101)])).toEqual({ kind: 'closed' });
    expect(await new SessionIndex(h.redis, h.keys).liveLines(id)).toHaveLength(103);
  });

  it('stores large events (sent to Redis as bytes) as sealed, non-ASCII text included', async () => {
    h = await recordingHarness('large');
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const frames: Array<[number, number, string]> = [
      [1.5, 1, Buffer.alloc(40 * 1024, 'a').toString('base64')],
      [2.25, 0, Buffer.from('ä€😀'.repeat(8 * 1024)).toString('base64')],
    ];
    const large: EventBody = { type: 'stream-data', stream: 'r-9', frames };
    const wide: EventBody = {
      type: 'request',
      rid: 'r-10',
      method: 'GET',
      path: '/api/v1/pods',
      headers: { 'x-note': 'ünïcödé 😀 '.repeat(4 * 1024) },
    };
    await Promise.all([
      h.store.append(id, identity.key, large),
      h.store.append(id, identity.key, request('r-9')),
      h.store.append(id, identity.key, wide),
    ]);
    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(lines[1]!.length).toBeGreaterThan(16 * 1024);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 4 });
    expect(JSON.parse(lines[1]!)).toMatchObject(large);
    expect(JSON.parse(lines[3]!)).toMatchObject(wide);
  });

  it('merges two replicas appending to one session into one ordered chain', async () => {
    h = await recordingHarness('replicas');
    const other = secondReplica(h);
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const joined = await other.resolve({ identity, caller: CALLER, cluster: 'prod' });
    expect(joined.id).toBe(id);
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      const store = i % 2 === 0 ? h.store : other;
      writes.push(store.append(id, identity.key, request(`r-${i}`), { incr: { requests: 1 } }));
    }
    await Promise.all(writes);
    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 41 });
    const writers = new Set(lines.map((line) => (JSON.parse(line) as { by: string }).by));
    expect(writers.size).toBe(2);
    await other.close();
  });

  it('writes frames handed over as bytes in base64, re-sealed on the new tail when another replica got there first', async () => {
    h = await recordingHarness('byte-frames');
    const other = secondReplica(h);
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    await other.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const sent: Buffer[] = [];
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 20; i++) {
      const bytes = i % 2 === 0 ? Buffer.alloc(40 * 1024 + i, i) : Buffer.from(`ä€😀 line ${i}\n`);
      sent.push(bytes);
      const body: StreamDataBytesEvent = { type: 'stream-data', stream: 'x', frames: [[i, 1, bytes]] };
      writes.push(h.store.append(id, identity.key, body), other.append(id, identity.key, request(`r-${i}`)));
    }
    await Promise.all(writes);
    const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
    expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 41 });
    const frames = lines
      .map((line) => JSON.parse(line) as { type: string; frames?: Array<[number, number, string]> })
      .flatMap((event) => event.frames ?? []);
    expect(frames.map(([at]) => at)).toEqual(sent.map((_, i) => i));
    expect(frames.map(([, , data]) => Buffer.from(data, 'base64'))).toEqual(sent);
    await other.close();
  });

  it("hands a sealed line's buffer to the next append only once Redis answered for it", async () => {
    h = await recordingHarness('line-buffers');
    // Three sessions appending at once, each frame distinct: a buffer reused too early would put
    // one append's bytes into another's line, and the chain or the frames would show it.
    const identities = [1, 2, 3].map((n) =>
      sessionIdentity(CALLER, 'prod', {
        'kubectl-session': `line-buffers-${n}`,
        'kubectl-command': 'kubectl exec',
      }),
    );
    const sessions = await Promise.all(
      identities.map((who) => h.store.resolve({ identity: who, caller: CALLER, cluster: 'prod' })),
    );
    const sent = sessions.map(() => [] as Buffer[]);
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 30; i++)
      sessions.forEach(({ id }, n) => {
        const bytes = randomBytes(20_000 + ((i * 7919 + n) % 40_000));
        sent[n]!.push(bytes);
        const body: StreamDataBytesEvent = { type: 'stream-data', stream: 'x', frames: [[i, 1, bytes]] };
        writes.push(h.store.append(id, identities[n]!.key, body));
      });
    await Promise.all(writes);
    for (const [n, { id }] of sessions.entries()) {
      const lines = await new SessionIndex(h.redis, h.keys).liveLines(id);
      expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 31 });
      const frames = lines.slice(1).map((line) => (JSON.parse(line) as StreamDataEvent).frames[0]![2]);
      expect(frames.map((data) => Buffer.from(data, 'base64'))).toEqual(sent[n]);
    }
    expect(COMMAND_BUFFERS.free).toBeGreaterThan(0);

    // A script call that fails may still be held by the Redis client (to send again after a
    // reconnect): its buffer is not handed out again, the pool is one buffer short.
    const { id } = sessions[0]!;
    await h.redis.del(h.keys.meta(id));
    await h.redis.set(h.keys.meta(id), 'not a hash');
    const before = COMMAND_BUFFERS.free;
    const frame: StreamDataBytesEvent = {
      type: 'stream-data',
      stream: 'x',
      frames: [[99, 1, randomBytes(40_000)]],
    };
    await expect(h.store.append(id, identities[0]!.key, frame)).rejects.toThrow(/recording unavailable/);
    expect(COMMAND_BUFFERS.free).toBe(before - 1);
  });

  it('closes after the idle gap, archives, summarises, and opens a new session afterwards', async () => {
    h = await recordingHarness('close', 50);
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    await h.store.append(id, identity.key, request('r-1'), { incr: { requests: 1, inflight: 1 } });
    const deps = { redis: h.redis, keys: h.keys, dir: h.dir, idleGapMs: 50 };
    // A request in flight keeps the session open however long it lasts.
    expect(await closeSession(deps, id, Date.now() + 1000)).toMatchObject({ kind: 'wait' });
    await h.store.append(id, identity.key, response('r-1', 500), { incr: { inflight: -1 } });
    expect(await closeSession(deps, id, Date.now() - 1000)).toMatchObject({ kind: 'wait' });
    const closed = await closeSession(deps, id, Date.now() + 1000);
    expect(closed).toMatchObject({ kind: 'archived' });
    if (closed.kind !== 'archived') return;
    expect(closed.summary).toContain(`Session ${id}: agent-1 on prod`);
    expect(closed.summary).toContain('Errors: 1 (500 GET /api/v1/pods)');
    expect(closed.facts.outcomes).toEqual(['error']);
    const meta = await new SessionIndex(h.redis, h.keys).get(id);
    const lines = await readArchiveLines(h.dir, closed.path);
    expect(verifyChain(id, lines, { count: meta?.count, finalHash: meta?.finalHash })).toMatchObject({
      ok: true,
    });
    expect(await h.redis.exists(h.keys.events(id))).toBe(0);
    expect(await h.redis.zscore(h.keys.byOutcome('error'), id)).not.toBeNull();
    expect(await closeSession(deps, id)).toEqual({ kind: 'already-archived' });
    // The next request of this identity opens a new session; appends to the old one are refused.
    expect(await h.store.append(id, identity.key, request('r-2'))).toEqual({ kind: 'closed' });
    const next = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    expect(next).toMatchObject({ created: true });
    expect(next.id).not.toBe(id);
  });

  it('does not finalize an archive when a failover lost the close and the session grew meanwhile', async () => {
    h = await recordingHarness('close-lost', 50);
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    await h.store.append(id, identity.key, request('r-1'));
    // The archive is written from the stream as it was; then, before the job finalizes, the new
    // primary (whose copy never saw the close) has the session open and an agent appends to it.
    const redis = h.redis;
    const reopenFirst = new Proxy(redis, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'hoopRecFinalize' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await redis.hset(h.keys.meta(id), 'state', 'open');
          await h.store.append(id, identity.key, request('r-2'));
          return value.apply(target, args);
        };
      },
    });
    const deps = { redis: reopenFirst, keys: h.keys, dir: h.dir, idleGapMs: 50 };
    await expect(closeSession(deps, id, Date.now() + 1000)).rejects.toThrow(/changed while it was archived/);
    const index = new SessionIndex(h.redis, h.keys);
    expect((await index.liveLines(id)).length).toBe(3);
    expect((await index.get(id))?.archive).toBeUndefined();
    // The job runs again once the session is idle: the archive then holds every event.
    const closed = await closeSession({ ...deps, redis: h.redis }, id, Date.now() + 1000);
    expect(closed).toMatchObject({ kind: 'archived' });
    if (closed.kind !== 'archived') return;
    const meta = await index.get(id);
    const lines = await readArchiveLines(h.dir, closed.path);
    expect(lines).toHaveLength(3);
    expect(verifyChain(id, lines, { count: meta?.count, finalHash: meta?.finalHash })).toMatchObject({
      ok: true,
    });
  });

  it('writes one asciicast file per recorded exec stream', async () => {
    h = await recordingHarness('cast', 10);
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const data = (text: string) => Buffer.from(text).toString('base64');
    await h.store.append(id, identity.key, {
      type: 'stream-open',
      rid: 'r-1',
      stream: 'x1',
      kind: 'exec',
      protocol: 'v5.channel.k8s.io',
      recorded: true,
      command: ['cat'],
      pod: 'web-1',
      namespace: 'default',
      stdin: true,
      tty: false,
    });
    await h.store.append(id, identity.key, {
      type: 'stream-data',
      stream: 'x1',
      frames: [
        [1, 1, ''],
        [10, 0, data('hi\n')],
        [12, 1, data('hi\n')],
        [13, 4, data('{"Width":100,"Height":30}')],
      ],
    });
    await h.store.append(id, identity.key, {
      type: 'stream-close',
      stream: 'x1',
      durationMs: 20,
      exitCode: 0,
      closeCode: 1000,
      bytes: { fromClient: 4, toClient: 4 },
    });
    const closed = await closeSession(
      { redis: h.redis, keys: h.keys, dir: h.dir, idleGapMs: 10 },
      id,
      Date.now() + 100,
    );
    expect(closed).toMatchObject({ kind: 'archived', casts: [`${id}.x1.cast`] });
    if (closed.kind !== 'archived') return;
    expect(closed.summary).toContain('Exec: `cat` in default/web-1: exit 0');
    const cast = (await readFile(join(h.dir, closed.path.replace('.jsonl', '.x1.cast')), 'utf8'))
      .trim()
      .split('\n');
    expect(JSON.parse(cast[0]!)).toMatchObject({
      version: 2,
      width: 100,
      height: 30,
      title: 'cat in default/web-1',
    });
    expect(cast.slice(1).map((line) => JSON.parse(line) as unknown)).toEqual([
      [0.01, 'i', 'hi\n'],
      [0.012, 'o', 'hi\n'],
      [0.013, 'r', '100x30'],
    ]);
  });

  it('prunes sessions past retention, with their archives', async () => {
    h = await recordingHarness('retention', 10);
    const { id } = await h.store.resolve({ identity, caller: CALLER, cluster: 'prod' });
    const deps = { redis: h.redis, keys: h.keys, dir: h.dir, idleGapMs: 10 };
    const closed = await closeSession(deps, id, Date.now() + 100);
    expect(closed.kind).toBe('archived');
    expect(await pruneExpired({ ...deps, retentionMs: 60_000 })).toEqual([]);
    expect(await pruneExpired({ ...deps, retentionMs: 60_000 }, Date.now() + 120_000)).toEqual([id]);
    expect(await h.redis.exists(h.keys.meta(id))).toBe(0);
    expect(await h.redis.zscore(h.keys.byTime, id)).toBeNull();
    if (closed.kind === 'archived') await expect(readArchiveLines(h.dir, closed.path)).rejects.toThrow();
  });

  it('keeps one session when only the replica that joined it keeps appending (the mapping stays alive)', async () => {
    h = await recordingHarness('mapping-alive', 2000);
    const opener = h.store;
    const joiner = new RecordingStore({ redis: h.redis, prefix: `${h.prefix}:rec`, idleGapMs: 2000 });
    const { id } = await opener.resolve({ identity, caller: CALLER, cluster: 'prod' });
    expect(await joiner.resolve({ identity, caller: CALLER, cluster: 'prod' })).toEqual({
      id,
      created: false,
    });
    // Two and a half gaps of appends from the joiner alone: the opener's TTL on the mapping is long gone.
    for (let i = 0; i < 25; i++) {
      await joiner.append(id, identity.key, request(`r-${i}`));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const third = new RecordingStore({ redis: h.redis, prefix: `${h.prefix}:rec`, idleGapMs: 2000 });
    expect(await third.resolve({ identity, caller: CALLER, cluster: 'prod' })).toEqual({
      id,
      created: false,
    });
    await joiner.drain();
  });
});
