import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { record, recordGate } from '../../gateway/pipeline/record.ts';
import { type StartedRecording, startRecording } from '../../gateway/recording/start.ts';
import type { DecisionSummary, Handler, Stage } from '../../gateway/request-context.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { approvalsSchema, resolveApprovals } from '../../src/config/approvals.ts';
import { recordingSchema, resolveRecording } from '../../src/config/recording.ts';
import { StatusError } from '../../src/errors.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type ContextFields, OK_BODY, runStage } from '../support/run-stage.ts';
import { caller, cluster, info } from '../support/stage-fixtures.ts';

/**
 * record and recordGate promise: with recording off both pass every request through untouched;
 * with it on, `record` opens (or joins) the caller's session before anything else and, when the
 * request is done, writes its `response` event (a refused request included, with its Status and
 * refusal), and `recordGate` reads the body (413 over 3 MiB) and writes the `request` event before
 * anything goes on, so nothing goes upstream unrecorded. With `required` a recording failure is
 * a 503 and next is never called; without it the request passes unrecorded.
 *
 * Against the real recording runtime (startRecording) on a fresh key prefix of the real Redis.
 */

const prefix = `test:stage-record:${randomBytes(5).toString('hex')}`;
const log = memoryLogger();
let dir: string;
let recording: StartedRecording;
let redis: RedisConnection;

async function start(options: { redisUrl: string; required: boolean }): Promise<StartedRecording> {
  const approvals = resolveApprovals(approvalsSchema.parse({ keyPrefix: prefix }), loadPolicy({}), {
    REDIS_URL: options.redisUrl,
  });
  const section = recordingSchema.parse({
    redisUrl: options.redisUrl,
    keyPrefix: prefix,
    required: options.required,
    worker: false,
    dir,
  });
  const settings = resolveRecording(section, dir, dir, approvals);
  return startRecording(settings, {
    masking: compileMaskingPolicy({}),
    policy: loadPolicy({}),
    logger: log.logger,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-stage-record-'));
  redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  recording = await start({ redisUrl: REDIS_URL, required: true });
});

afterAll(async () => {
  await recording?.close();
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

/** The events of a session, oldest first, as stored. */
async function events(sessionId: string): Promise<Array<Record<string, unknown>>> {
  const entries = await redis.xrange(`${prefix}:rec:s:${sessionId}:events`, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1] ?? '{}') as Record<string, unknown>);
}

const both =
  (outer: Stage, inner: Stage): Stage =>
  (next) =>
    outer(inner(next));

const ALLOW: DecisionSummary = { action: 'allow', rule: 'agents-read' };
const deniedByPolicy: Handler = async (ctx) => {
  ctx.decision = { action: 'deny', rule: 'no-secrets' };
  ctx.refusal = 'policy';
  throw new StatusError(403, 'Forbidden', 'rule "no-secrets" denies it');
};

function context(subject: string, method: string, path: string, query = ''): ContextFields {
  return {
    caller: caller({ subject }),
    cluster: cluster('prod'),
    clusterPath: path,
    rawQuery: query,
    info: info(method, path, query),
    decision: ALLOW,
  };
}

interface Row {
  name: string;
  subject: string;
  stage: 'record' | 'record+gate';
  method: string;
  path: string;
  body?: string;
  next?: Handler;
  /** The client's status and whether next ran. */
  status: number;
  forwarded: boolean;
  /** The stored events after the session's opening one, each matched in order. */
  events: Array<Record<string, unknown>>;
  /** Session meta counters after the row. */
  meta: Record<string, string>;
}

const rows: Row[] = [
  {
    name: 'an allowed read: request event before next, response event after',
    subject: 'reader',
    stage: 'record+gate',
    method: 'GET',
    path: '/api/v1/namespaces/shop/configmaps',
    status: 200,
    forwarded: true,
    events: [
      {
        type: 'request',
        method: 'GET',
        path: '/api/v1/namespaces/shop/configmaps',
        info: { verb: 'list', resource: 'configmaps', namespace: 'shop' },
        decision: { action: 'allow', rule: 'agents-read' },
      },
      { type: 'response', status: 200, body: expect.objectContaining({ json: OK_BODY }) },
    ],
    meta: { requests: '1', inflight: '0' },
  },
  {
    name: 'a write: the body is read by the gate and recorded',
    subject: 'writer',
    stage: 'record+gate',
    method: 'POST',
    path: '/api/v1/namespaces/shop/configmaps',
    body: '{"kind":"ConfigMap","metadata":{"name":"settings"}}',
    status: 200,
    forwarded: true,
    events: [
      {
        type: 'request',
        method: 'POST',
        body: expect.objectContaining({ json: { kind: 'ConfigMap', metadata: { name: 'settings' } } }),
      },
      { type: 'response', status: 200 },
    ],
    meta: { requests: '1', inflight: '0' },
  },
  {
    name: 'refused below record (policy): request and response events with the refusal',
    subject: 'denied',
    stage: 'record',
    method: 'GET',
    path: '/api/v1/namespaces/shop/secrets/db',
    next: deniedByPolicy,
    status: 403,
    forwarded: true,
    events: [
      { type: 'request', method: 'GET', decision: { action: 'deny', rule: 'no-secrets' } },
      { type: 'response', status: 403, refusal: 'policy', message: 'rule "no-secrets" denies it' },
    ],
    meta: { requests: '1', denied: '1' },
  },
  {
    name: 'a body over 3 MiB: 413 at the gate, nothing goes on, the refusal is recorded',
    subject: 'huge',
    stage: 'record+gate',
    method: 'POST',
    path: '/api/v1/namespaces/shop/configmaps',
    body: 'x'.repeat(3 * 1024 * 1024 + 1),
    status: 413,
    forwarded: false,
    events: [
      { type: 'request', method: 'POST' },
      { type: 'response', status: 413, message: expect.stringContaining('more than kube-apiserver accepts') },
    ],
    meta: { requests: '1' },
  },
];

describe('record and recordGate with recording on', () => {
  it.each(rows)('$name', async (row) => {
    const stage =
      row.stage === 'record' ? record(recording.runtime) : both(record(recording.runtime), recordGate());
    const run = await runStage(stage, {
      method: row.method,
      headers: {
        authorization: 'Bearer token-that-must-not-be-recorded',
        'content-type': 'application/json',
      },
      ctx: context(row.subject, row.method, row.path),
      ...(row.body === undefined ? {} : { body: row.body }),
      ...(row.next ? { next: row.next } : {}),
    });
    expect(run.status).toBe(row.status);
    expect(run.next.calls).toBe(row.forwarded ? 1 : 0);
    const sessionId = run.ctx.recording?.sessionId ?? '';
    expect(sessionId).not.toBe('');
    if (row.forwarded) expect(run.next.ctx?.recording).toBe(run.ctx.recording);
    if (row.body && row.forwarded) expect(run.next.ctx?.body?.toString()).toBe(row.body);

    // The response event is appended after the request finished; wait for it.
    await recording.runtime.detachedWrites.settled();
    const stored = await events(sessionId);
    expect(stored[0]).toMatchObject({ type: 'session', caller: { subject: row.subject }, cluster: 'prod' });
    expect(stored.slice(1)).toHaveLength(row.events.length);
    for (const [i, event] of row.events.entries()) expect(stored[i + 1]).toMatchObject(event);
    expect(JSON.stringify(stored)).not.toContain('token-that-must-not-be-recorded');
    expect(await redis.hgetall(`${prefix}:rec:s:${sessionId}`)).toMatchObject(row.meta);
  });

  it('the request event is written before next runs: nothing reaches upstream unrecorded', async () => {
    let seenByNext: Array<Record<string, unknown>> = [];
    const run = await runStage(both(record(recording.runtime), recordGate()), {
      ctx: context('ordered', 'GET', '/api/v1/namespaces/shop/pods'),
      next: async (ctx) => {
        seenByNext = await events(ctx.recording?.sessionId ?? '');
        ctx.res.end();
      },
    });
    expect(run.next.calls).toBe(1);
    expect(seenByNext.map((e) => e['type'])).toEqual(['session', 'request']);
  });

  it("a stream's appends in flight together that find the session closed go on in one new session, in order", async () => {
    let closed = '';
    let reopened = '';
    await runStage(record(recording.runtime), {
      ctx: context('reopening', 'POST', '/api/v1/namespaces/shop/pods/web-0/exec'),
      next: async (ctx) => {
        const rec = ctx.recording!;
        await rec.append({
          type: 'stream-open',
          rid: rec.rid,
          stream: rec.rid,
          kind: 'exec',
          protocol: 'v5.channel.k8s.io',
          recorded: true,
          pod: 'web-0',
          namespace: 'shop',
          tty: false,
          stdin: true,
        });
        closed = rec.sessionId;
        // The session's idle gap passed on another replica meanwhile: it is closed.
        await redis.hset(`${prefix}:rec:s:${closed}`, 'state', 'closed');
        const data = (n: number) => ({
          type: 'stream-data' as const,
          stream: rec.rid,
          frames: [[n, 1, Buffer.from(`frame ${n}`)] as [number, number, Buffer]],
        });
        // Two appends in flight at once, as a stream recorder sends them.
        await Promise.all([rec.appendAll([data(1)]), rec.appendAll([data(2)]), rec.appendAll([data(3)])]);
        reopened = rec.sessionId;
        ctx.res.end();
      },
    });
    expect(reopened).not.toBe(closed);
    // The response event is written after the request ended, detached from it.
    await recording.runtime.detachedWrites.settled();
    const stored = await events(reopened);
    // The request event comes when the request ends (this test has no gate to write it first).
    expect(stored.map((e) => e['type'])).toEqual([
      'session',
      'stream-data',
      'stream-data',
      'stream-data',
      'request',
      'response',
    ]);
    expect(stored.slice(1, 4).map((e) => (e['frames'] as Array<[number]>)[0]![0])).toEqual([1, 2, 3]);
  });

  it('a response event still on its way when the request finished is in Redis once close() returns', async () => {
    const own = await start({ redisUrl: REDIS_URL, required: true });
    const run = await runStage(record(own.runtime), {
      ctx: context('closing', 'GET', '/api/v1/namespaces/shop/secrets/db'),
      next: async (ctx) => {
        // Redis holds every write for 250 ms: both events of this refused call are still to come
        // when its client has the answer.
        await redis.call('CLIENT', 'PAUSE', '250', 'WRITE');
        await deniedByPolicy(ctx);
      },
    });
    expect(run.status).toBe(403);
    expect(own.runtime.detachedWrites.size).toBe(1);
    await own.close();
    expect(own.runtime.detachedWrites.size).toBe(0);
    const stored = await events(run.ctx.recording?.sessionId ?? '');
    expect(stored.map((e) => e['type'])).toEqual(['session', 'request', 'response']);
    expect(stored[2]).toMatchObject({ status: 403, refusal: 'policy' });
  });
});

describe('record and recordGate with recording off', () => {
  it('record(undefined) is no stage at all: next itself', () => {
    const next: Handler = async () => undefined;
    expect(record(undefined)(next)).toBe(next);
  });

  it.each([
    { name: 'record(undefined)', stage: record(undefined) },
    { name: 'recordGate() without a recording in the context', stage: recordGate() },
  ])('$name passes the request through, its body unread', async ({ stage }) => {
    const run = await runStage(stage, {
      method: 'POST',
      body: '{"kind":"ConfigMap"}',
      ctx: context('unrecorded', 'POST', '/api/v1/namespaces/shop/configmaps'),
    });
    expect(run.thrown).toBeUndefined();
    expect(run.status).toBe(200);
    expect(run.next.calls).toBe(1);
    expect(run.next.ctx?.recording).toBeUndefined();
    expect(run.next.ctx?.body).toBeUndefined();
  });
});

describe('record with the recording store down', () => {
  let required: StartedRecording;
  let optional: StartedRecording;
  beforeAll(async () => {
    // A port nothing listens on: every command fails fast, as with a Redis outage.
    required = await start({ redisUrl: 'redis://127.0.0.1:9', required: true });
    optional = await start({ redisUrl: 'redis://127.0.0.1:9', required: false });
  });
  afterAll(async () => {
    await required?.close();
    await optional?.close();
  });

  it.each([
    {
      name: 'required: 503 and next never called',
      runtime: () => required.runtime,
      status: 503,
      forwarded: false,
    },
    {
      name: 'not required: passes unrecorded',
      runtime: () => optional.runtime,
      status: 200,
      forwarded: true,
    },
  ])('$name', async (row) => {
    const run = await runStage(both(record(row.runtime()), recordGate()), {
      ctx: context('outage', 'GET', '/api/v1/namespaces/shop/pods'),
    });
    expect(run.status).toBe(row.status);
    expect(run.next.calls).toBe(row.forwarded ? 1 : 0);
    expect(run.ctx.recording).toBeUndefined();
    if (row.forwarded) {
      expect(run.ctx.refusal).toBeUndefined();
      expect(log.lines.some((line) => line['msg'] === 'recording: request passes unrecorded')).toBe(true);
    } else {
      expect(run.kubeStatus).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
      expect(run.ctx.refusal).toBe('recording unavailable');
    }
  });
});
