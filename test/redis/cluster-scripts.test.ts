import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExpireWorker } from '../../gateway/approvals/expire-worker.ts';
import { closeSession } from '../../gateway/recording/close-session.ts';
import { pruneExpired } from '../../gateway/recording/retention.ts';
import { sessionIdentity } from '../../gateway/recording/session-identity.ts';
import { RecordingStore } from '../../gateway/recording/session-store.ts';
import { approvalKeys } from '../../src/approvals/keys.ts';
import type { ReviewEvent } from '../../src/approvals/review.types.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { APPROVAL_SCRIPTS, APPROVAL_SCRIPTS_DIR, withApprovalScripts } from '../../src/approvals/scripts.ts';
import { ApprovalsUnavailableError, whenReady } from '../../src/approvals/unavailable-error.ts';
import {
  createRequestConnection,
  createWorkerConnection,
  type RedisConnection,
} from '../../src/queues/connections.ts';
import { ReviewProducers } from '../../src/queues/review-producers.ts';
import { readArchiveLines } from '../../src/recording/archive.ts';
import type { EventBody, StreamDataBytesEvent, StreamDataEvent } from '../../src/recording/event.types.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { RECORDING_SCRIPTS, RECORDING_SCRIPTS_DIR } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { readLuaScript } from '../../src/redis/lua-scripts.ts';
import { writeOncePerTurn } from '../../src/redis/turn-writes.ts';
import { CALLER as APPROVAL_CALLER, fp, openInput, rule } from '../approvals/helpers.ts';
import { CALLER } from '../recording/support.ts';
import { type RedisClusterHarness, startRedisCluster } from '../support/redis-cluster.ts';
import { countWrites } from '../support/socket-writes.ts';

/**
 * Every Lua script and MULTI of the approvals and recording stores, run for real on a six-node
 * Redis Cluster through the stores themselves. A script that touched a key in another slot than
 * its KEYS, or a MULTI or pipeline spanning slots, fails here with CROSSSLOT or "non local key";
 * the first test shows the cluster does refuse that, with the key layout a single Redis uses.
 */

let cluster: RedisClusterHarness;
let redis: RedisConnection;
let dir: string;

beforeAll(async () => {
  cluster = await startRedisCluster();
  redis = createRequestConnection({
    redis: { cluster: { nodes: [...cluster.nodes] } },
    commandTimeoutMs: 5000,
    connectTimeoutMs: 5000,
  });
  // As the gateway's recording connection: each node's commands of a turn in one write.
  writeOncePerTurn(redis);
  await whenReady(redis, 10_000);
  dir = await mkdtemp(join(tmpdir(), 'hoop-cluster-rec-'));
}, 90_000);

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const approver = (id: string) => ({ id, groups: [] });

describe('approvals on a Redis Cluster', () => {
  it('the cluster refuses a script whose keys span slots (the single-Redis layout)', async () => {
    const keys = approvalKeys('plain:approvals');
    const scripts = withApprovalScripts(redis);
    const error = await scripts
      .hoopApprovalsCreate(
        keys.fingerprint(fp()),
        keys.review('r-222222'),
        keys.review('r-222222'),
        keys.pending,
        keys.reviews,
        'r-222222',
        '{}',
        fp(),
        Date.now() + 60_000,
        1,
        Date.now(),
        1000,
        1000,
        'plain:approvals:review-events',
        '',
        keys.window('w'),
      )
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/CROSSSLOT/);
  });

  it('creates, joins, decides, consumes once, lists and records history, with events across nodes', async () => {
    const store = new ReviewStore({ connection: redis, prefix: 'c1:approvals' });
    const events: ReviewEvent[] = [];
    await store.subscribe((event) => events.push(event));
    try {
      const { review, created } = await store.findOrCreate(openInput());
      expect(created).toBe(true);
      expect(await store.findOrCreate(openInput())).toMatchObject({
        created: false,
        review: { id: review.id },
      });
      expect((await store.list({ state: 'pending' })).map((r) => r.id)).toEqual([review.id]);
      expect(await store.countPending()).toBe(1);
      await store.appendHistory(review.id, { kind: 'break-glass', by: 'bot' });
      expect((await store.history(review.id)).map((e) => e.kind)).toEqual(['break-glass']);

      const decided = await store.decide(review.id, {
        approver: approver('bob'),
        action: 'approve',
        via: 'api',
      });
      expect(decided).toMatchObject({ outcome: 'applied', review: { state: 'approved' } });
      expect(await store.consume(fp())).toMatchObject({ outcome: 'consumed', review: { id: review.id } });
      expect((await store.consume(fp())).outcome).toBe('none');
      expect((await store.list({})).map((r) => r.id)).toEqual([review.id]);
      await expect.poll(() => events.map((e) => e.state)).toEqual(['pending', 'approved']);
    } finally {
      await store.close();
    }
  });

  it('window grants, cancellation and expiry', async () => {
    const store = new ReviewStore({ connection: redis, prefix: 'c2:approvals' });
    try {
      const windowRule = rule({ grant: { kind: 'window', maxSeconds: 3600 } });
      const windowed = (await store.findOrCreate(openInput({ fingerprint: fp('w'), rule: windowRule })))
        .review;
      await store.decide(windowed.id, {
        approver: approver('bob'),
        action: 'approve',
        via: 'api',
        windowSeconds: 600,
      });
      expect((await store.consume(fp('w'))).outcome).toBe('window-valid');
      expect(await store.findWindowGrant(APPROVAL_CALLER, 'prod', 'prod-deletes')).toMatchObject({
        id: windowed.id,
      });
      expect((await store.cancel(windowed.id, { by: 'carol' })).outcome).toBe('cancelled');
      expect(await store.findWindowGrant(APPROVAL_CALLER, 'prod', 'prod-deletes')).toBeUndefined();

      const now = Date.now();
      const short = (
        await store.findOrCreate(openInput({ fingerprint: fp('e'), now, rule: rule({ timeoutSeconds: 30 }) }))
      ).review;
      expect((await store.expire(short.id, now + 1000)).outcome).toBe('not-due');
      expect((await store.expire(short.id, now + 31_000)).outcome).toBe('expired');
      expect(
        (await store.decide(short.id, { approver: approver('bob'), action: 'approve', via: 'api' })).outcome,
      ).toBe('expired');
    } finally {
      await store.close();
    }
  });

  it("waits for the replica of the review's own master: a frozen replica fails the decision, a live one confirms it", async () => {
    const store = new ReviewStore({
      connection: redis,
      prefix: 'c3:approvals',
      replication: { replicas: 1, timeoutMs: 300 },
    });
    try {
      const { review } = await store.findOrCreate(openInput({ fingerprint: fp('wait') }));
      const master = await cluster.masterFor(store.keys.review(review.id));
      const replica = await cluster.replicaOf(master);
      cluster.pause(replica);
      let refused: unknown;
      try {
        refused = await store
          .decide(review.id, { approver: approver('bob'), action: 'approve', via: 'api' })
          .catch((e: unknown) => e);
      } finally {
        cluster.resume(replica);
      }
      // WAIT went to the master holding the write: the other masters' replicas are all alive.
      expect(refused).toBeInstanceOf(ApprovalsUnavailableError);
      expect(String((refused as Error).message)).toMatch(/0 of 1 Redis replicas/);
      // The decision is on the master all the same; once the replica catches up, a retry sees it.
      await expect
        .poll(() => store.decide(review.id, { approver: approver('bob'), action: 'approve', via: 'api' }), {
          timeout: 15_000,
        })
        .toMatchObject({ outcome: 'already-decided' });
      // The use of the grant: unconfirmed, the caller is refused (not told to forward), and the
      // grant is not offered a second time once the replica has it.
      cluster.pause(replica);
      let unconfirmed: unknown;
      try {
        unconfirmed = await store.consume(fp('wait')).catch((e: unknown) => e);
      } finally {
        cluster.resume(replica);
      }
      expect(unconfirmed).toBeInstanceOf(ApprovalsUnavailableError);
      expect(String((unconfirmed as Error).message)).toMatch(/use of the approval was written but 0 of 1/);
      expect((await store.consume(fp('wait'))).outcome).toBe('none');
    } finally {
      await store.close();
    }
  });
});

const request = (rid: string): EventBody => ({
  type: 'request',
  rid,
  method: 'GET',
  path: '/api/v1/pods',
  headers: {},
});
const response = (rid: string): EventBody => ({ type: 'response', rid, status: 200, durationMs: 1 });

describe('recording on a Redis Cluster', () => {
  it('resolves, appends, closes, archives and prunes sessions spread over the masters', async () => {
    const store = new RecordingStore({ redis, prefix: 'c4:rec', idleGapMs: 1000 });
    const index = new SessionIndex(redis, store.keys);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const identity = sessionIdentity(CALLER, 'prod', {
        'kubectl-session': `11111111-2222-3333-4444-${String(i).padStart(12, '0')}`,
        'kubectl-command': 'kubectl get',
      });
      const { id, created } = await store.resolve({ identity, caller: CALLER, cluster: 'prod' });
      expect(created).toBe(true);
      // A second replica joins the session and records the response: it refreshes the mapping.
      const replica = new RecordingStore({ redis, prefix: 'c4:rec', idleGapMs: 1000 });
      expect((await replica.resolve({ identity, caller: CALLER, cluster: 'prod' })).id).toBe(id);
      await store.append(id, identity.key, request(`r-${i}`), { incr: { requests: 1 } });
      await replica.append(id, identity.key, response(`r-${i}`));
      ids.push(id);
    }
    const masters = new Set(await Promise.all(ids.map((id) => cluster.masterFor(store.keys.meta(id)))));
    expect(masters.size).toBeGreaterThan(1);
    expect((await index.list({ agent: CALLER.subject, limit: 50 })).map((m) => m.id).sort()).toEqual(
      [...ids].sort(),
    );

    const deps = { redis, keys: store.keys, dir, idleGapMs: 1000 };
    const closed = await closeSession(deps, ids[0]!, Date.now() + 5000);
    expect(closed.kind).toBe('archived');
    const meta = await index.get(ids[0]!);
    expect(meta).toMatchObject({ state: 'closed', count: 3, outcomes: ['clean'] });
    const lines = await readArchiveLines(dir, meta!.archive!);
    expect(verifyChain(ids[0]!, lines, { count: 3, finalHash: meta!.finalHash })).toMatchObject({ ok: true });
    expect(await redis.exists(store.keys.events(ids[0]!))).toBe(0);
    expect((await index.list({ outcome: 'clean', limit: 5 })).map((m) => m.id)).toEqual([ids[0]]);

    const pruned = await pruneExpired(
      { redis, keys: store.keys, dir, retentionMs: 0 },
      Date.now() + 1000,
      100,
    );
    expect(pruned.sort()).toEqual([...ids].sort());
    expect(await index.list({ limit: 50 })).toEqual([]);
  });
});

describe('writes on a Redis Cluster', () => {
  it("sends each node its share of a turn's commands in one write, every reply in place", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `c5:turn:${i}`);
    // Every master's connection is open once each has served a command.
    await Promise.all(keys.map((key) => redis.set(key, 'warm')));
    const nodes = (redis as Cluster).nodes('master');
    expect(nodes.length).toBe(3);
    const writes = new Map(nodes.map((node) => [node.options.port!, countWrites(node.stream as Socket)]));
    const replies = await Promise.all(
      keys.map((key, i) => redis.set(key, `v${i}`).then(() => redis.get(key))),
    );
    expect(replies).toEqual(keys.map((_, i) => `v${i}`));
    // Two turns: the SETs together, then the GETs sent as their replies arrived (in one read or more).
    const owners = new Set(await Promise.all(keys.map((key) => cluster.masterFor(key))));
    expect(owners.size).toBe(3);
    for (const port of owners) expect(writes.get(port)!.count).toBeLessThanOrEqual(3);
    await Promise.all(keys.map((key) => redis.del(key)));
  });
});

describe('stream frames on a Redis Cluster', () => {
  it("appends a stream's batches, written as one command each, to sessions on every master", async () => {
    const store = new RecordingStore({ redis, prefix: 'c4:frames', idleGapMs: 60_000 });
    const index = new SessionIndex(redis, store.keys);
    // Session ids are random, so six of them land on one master in 1 run of 243: sessions are
    // opened until at least six span two masters or more.
    const sessions: Array<{ identity: ReturnType<typeof sessionIdentity>; id: string }> = [];
    const masters = new Set<number>();
    for (let i = 0; i < 40 && (sessions.length < 6 || masters.size < 2); i++) {
      const identity = sessionIdentity(CALLER, 'prod', {
        'kubectl-session': `55555555-2222-3333-4444-${String(i).padStart(12, '0')}`,
        'kubectl-command': 'kubectl exec',
      });
      const session = { identity, ...(await store.resolve({ identity, caller: CALLER, cluster: 'prod' })) };
      sessions.push(session);
      masters.add(await cluster.masterFor(store.keys.meta(session.id)));
    }
    expect(masters.size).toBeGreaterThan(1);
    // Frames of a few bytes to ~300 KB: commands from under a kilobyte to half a megabyte.
    const sizes = [3, 40_000, 300_000];
    const sent = await Promise.all(
      sessions.map(async ({ identity, id }) => {
        const frames = sizes.map((size, n): [number, number, Buffer] => [n, 1, randomBytes(size)]);
        const batches: StreamDataBytesEvent[] = frames.map((frame) => ({
          type: 'stream-data',
          stream: 's',
          frames: [frame],
        }));
        await Promise.all(batches.map((batch) => store.appendAll(id, identity.key, [batch])));
        return frames.map(([, , bytes]) => bytes);
      }),
    );
    for (const [n, { id }] of sessions.entries()) {
      const lines = await index.liveLines(id);
      expect(verifyChain(id, lines)).toMatchObject({ ok: true, count: 1 + sizes.length });
      const frames = lines.slice(1).map((line) => (JSON.parse(line) as StreamDataEvent).frames[0]![2]);
      expect(frames.map((data) => Buffer.from(data, 'base64'))).toEqual(sent[n]);
      // The two large ones went by reference: their lines beside the stream, on the session's node.
      expect(await redis.hlen(store.keys.lines(id))).toBe(2);
    }
  });
});

describe('BullMQ queues on a Redis Cluster', () => {
  it('run in the {prefix} form (a delayed expire job expires its review); a plain prefix spans slots', async () => {
    const store = new ReviewStore({ connection: redis, prefix: 'c5:approvals' });
    const workerConnection = createWorkerConnection({ redis: { cluster: { nodes: [...cluster.nodes] } } });
    const producers = new ReviewProducers({ connection: redis, prefix: '{c5}' });
    const expired: string[] = [];
    const worker = startExpireWorker({
      connection: workerConnection,
      store,
      prefix: '{c5}',
      onExpired: (review) => {
        expired.push(review.id);
      },
    });
    try {
      const { review } = await store.findOrCreate(
        openInput({ fingerprint: fp('q'), rule: rule({ timeoutSeconds: 1 }) }),
      );
      await producers.scheduleExpire(review);
      await expect.poll(() => expired, { timeout: 15_000 }).toEqual([review.id]);
      expect((await store.get(review.id))?.state).toBe('expired');

      const plain = new ReviewProducers({ connection: redis, prefix: 'c6' });
      const error = await plain.scheduleExpire(review).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApprovalsUnavailableError);
      expect(String((error as Error).cause)).toMatch(/CROSSSLOT/);
      await plain.close();
    } finally {
      await worker.close();
      await producers.close();
      await store.close();
      workerConnection.disconnect();
    }
  });
});

describe('coverage', () => {
  it("every Lua script of both stores ran on the cluster above (each is in some master's script cache)", async () => {
    const scripts = [
      ...APPROVAL_SCRIPTS.map((script) => readLuaScript(APPROVAL_SCRIPTS_DIR, script.file)),
      ...RECORDING_SCRIPTS.map((script) => readLuaScript(RECORDING_SCRIPTS_DIR, script.file)),
    ];
    const shas = scripts.map((lua) => createHash('sha1').update(lua).digest('hex'));
    const masters = (redis as Cluster).nodes('master');
    const cached = await Promise.all(
      masters.map((node) => node.script('EXISTS', ...shas) as Promise<number[]>),
    );
    const ran = shas.map((_, i) => cached.some((flags) => flags[i] === 1));
    expect(ran).toEqual(shas.map(() => true));
  });
});
