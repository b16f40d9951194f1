/**
 * A fast exec stream must not outrun its recording. The gateway records every frame of an exec
 * session in Redis; a bulk `cat` (or `kubectl cp`, which is `tar` over exec) produces frames far
 * faster than they can be sealed and stored, and a relay that kept reading held the difference in
 * memory: ~200 MB of heap for a 50 MB `cat` on the bench, without bound for a larger copy.
 *
 * Here Redis stops taking writes for a second while the agent pours 16 MiB into `cat`: the relay
 * must stop reading both sides once about a megabyte waits for Redis (so little of the copy comes
 * back meanwhile), then carry on, with every byte recorded, once Redis takes writes again.
 *
 * And the other way round: stdin poured into a command that exits at once leaves the client side
 * paused behind what it sent. The command's exit must still end the stream promptly: the client's
 * close frame, queued behind the unread stdin, was not read until ws gave up on the closing
 * handshake after 30 s.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from '../recording/gateway-support.ts';
import { AGENTS } from '../support/stack.ts';

const MiB = 1024 * 1024;
const TOTAL = 16 * MiB;
const FRAME = 32 * 1024;
/** Well above what the recorder lets wait (1 MiB of frames) plus what the sockets hold. */
const BOUND_WHILE_STALLED = 6 * MiB;

let rs: RecordingStack;
beforeAll(async () => {
  rs = await startRecordingStack({ policy: DEMO_POLICY });
});
afterAll(async () => {
  await rs?.close();
});

describe('an exec stream whose recording stalls', () => {
  it('stops relaying while Redis takes no writes, then finishes with every byte recorded', async () => {
    const since = Date.now();
    const token = await rs.stack.issuer.issueToken(AGENTS.agent.clientId);
    const url = `${rs.stack.clusterUrl().replace(/^https/, 'wss')}/api/v1/namespaces/payments/pods/ledger-0/exec?command=cat&stdin=true&stdout=true&stderr=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
      ca: rs.stack.gateway.caPem,
      headers: { Authorization: `Bearer ${token}` },
    });
    let received = 0;
    let allBack: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      allBack = resolve;
    });
    ws.on('message', (data: Buffer) => {
      if (data[0] !== 1) return;
      received += data.length - 1;
      if (received >= TOTAL) allBack();
    });
    const closed = once(ws, 'close');
    await once(ws, 'open');

    const line = Buffer.from(`${'x'.repeat(75)}\n`);
    const block = Buffer.concat([
      Buffer.from([0]),
      ...Array.from({ length: FRAME / line.length + 1 }, () => line),
    ]);
    const frame = block.subarray(0, FRAME + 1);
    // Writes (the recording's appends among them) wait for a second; the gateway's command
    // timeout (1.5 s) is longer, so its appends are late, not failed.
    await rs.redis.call('CLIENT', 'PAUSE', '1000', 'WRITE');
    const pausedAt = Date.now();
    for (let sent = 0; sent < TOTAL; sent += FRAME) ws.send(frame);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 800 - (Date.now() - pausedAt))));
    const whileStalled = received;
    expect(whileStalled).toBeLessThan(BOUND_WHILE_STALLED);

    await finished;
    expect(received).toBe(TOTAL);
    ws.send(Buffer.from([255, 0]));
    await closed;

    // The stream's close event is the last thing the gateway records for it.
    const session = (await rs.sessionsSince(since)).at(-1);
    if (!session) throw new Error('no session recorded');
    let events: Array<{ type: string; frames?: Array<[number, number, string]> }> = [];
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'stream-close'); i++) {
      events = (await rs.index.liveLines(session.id)).map((l) => JSON.parse(l) as (typeof events)[number]);
      if (!events.some((e) => e.type === 'stream-close')) await new Promise((r) => setTimeout(r, 100));
    }
    const bytesOn = (channel: number): number =>
      events
        .flatMap((e) => e.frames ?? [])
        .filter((f) => f[1] === channel)
        .reduce((sum, f) => sum + Buffer.from(f[2], 'base64').length, 0);
    expect({ stdin: bytesOn(0), stdout: bytesOn(1) }).toEqual({ stdin: TOTAL, stdout: TOTAL });
  });

  it('ends promptly when a command exits under a stdin flood, with its exit recorded', async () => {
    const since = Date.now();
    const token = await rs.stack.issuer.issueToken(AGENTS.agent.clientId);
    const url = `${rs.stack.clusterUrl().replace(/^https/, 'wss')}/api/v1/namespaces/payments/pods/ledger-0/exec?command=echo&command=hi&stdin=true&stdout=true&stderr=true`;
    const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
      ca: rs.stack.gateway.caPem,
      headers: { Authorization: `Bearer ${token}` },
    });
    const statuses: string[] = [];
    ws.on('message', (data: Buffer) => {
      if (data[0] === 3) statuses.push(data.subarray(1).toString());
    });
    const closed = once(ws, 'close');
    await once(ws, 'open');
    // 10 MiB of stdin at once, far more than the relay lets wait; `echo` reads none of it.
    const flood = Buffer.concat([Buffer.from([0]), Buffer.alloc(2 * MiB, 'x')]);
    for (let i = 0; i < 5; i++) ws.send(flood);
    ws.close(1000);
    const startedClosing = Date.now();
    // A hang check, not a speed one: the broken relay took 30 s (ws's closing timeout).
    const [code] = (await Promise.race([
      closed,
      new Promise((resolve) => setTimeout(() => resolve(['still open after 10 s']), 10_000)),
    ])) as [number | string];
    expect(code).toBe(1000);
    expect(Date.now() - startedClosing).toBeLessThan(10_000);
    expect(statuses.map((s) => JSON.parse(s).status)).toEqual(['Success']);

    const session = (await rs.sessionsSince(since)).at(-1);
    if (!session) throw new Error('no session recorded');
    let events: Array<{ type: string; exitCode?: number; status?: { status: string } }> = [];
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'stream-close'); i++) {
      events = (await rs.index.liveLines(session.id)).map((l) => JSON.parse(l) as (typeof events)[number]);
      if (!events.some((e) => e.type === 'stream-close')) await new Promise((r) => setTimeout(r, 100));
    }
    const close = events.find((e) => e.type === 'stream-close');
    expect(close).toMatchObject({ exitCode: 0, status: { status: 'Success' }, closeCode: 1000 });
  });
});
