/**
 * Recording end to end with the real kubectl (1.33 and 1.31) through the gateway: one invocation
 * is one session with all its requests; `exec -i -- cat` is recorded as a valid asciicast with
 * stdin, stdout and the exit code, and never falls back to SPDY; port-forward is recorded with
 * its byte counts; sessions close after the idle gap and are archived with a summary.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/recording/event.types.ts';
import { describeEachKubectl, runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';
import { AGENTS } from '../support/stack.ts';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from './gateway-support.ts';

let rs: RecordingStack;
let kubeconfig: string;
beforeAll(async () => {
  rs = await startRecordingStack({ policy: DEMO_POLICY });
  kubeconfig = await rs.stack.kubeconfigFor(AGENTS.agent.clientId);
});
afterAll(async () => rs?.close());
beforeEach(() => {
  rs.stack.sandbox.requests.length = 0;
});

async function archivedEvents(id: string): Promise<{ events: RecordedEvent[]; dir: string; path: string }> {
  const meta = await rs.waitForArchived(id);
  const dir = join(rs.stack.dir, 'data', 'recordings');
  const text = await readFile(join(dir, meta.archive ?? ''), 'utf8');
  const events = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RecordedEvent);
  return { events, dir, path: meta.archive ?? '' };
}

/** The one session kubectl opened since `since`. */
async function onlySession(since: number) {
  const sessions = await rs.sessionsSince(since);
  expect(sessions.map((s) => s.kind)).toEqual(['kubectl']);
  return sessions[0]!;
}

describeEachKubectl([['1.33'], ['1.31']], 'kubectl %s through a recording gateway', (version) => {
  it('records one invocation as one session with all its requests', async () => {
    const since = Date.now();
    const result = await runKubectl({
      kubeconfig,
      version,
      args: ['get', 'pods', '-n', 'default', '-o', 'name'],
    });
    expect(result.code).toBe(0);
    const session = await onlySession(since);
    expect(session).toMatchObject({
      agent: AGENTS.agent.clientId,
      cluster: 'sandbox',
      command: 'kubectl get',
    });
    const { events } = await archivedEvents(session.id);
    const requests = events.filter((e) => e.type === 'request');
    const responses = events.filter((e) => e.type === 'response');
    expect(requests.length).toBe(rs.stack.sandbox.requests.length);
    expect(responses.length).toBe(requests.length);
    expect(requests.map((e) => e.type === 'request' && `${e.method} ${e.path}`)).toContain(
      'GET /api/v1/namespaces/default/pods',
    );
    // kubectl speaks HTTP/2 to the gateway: its pseudo-header fields (the request line, recorded
    // as method and path) are not headers, so the record reads as it would over HTTP/1.1.
    for (const request of requests) {
      if (request.type !== 'request') continue;
      expect(Object.keys(request.headers).filter((name) => name.startsWith(':'))).toEqual([]);
      expect(request.headers['user-agent']).toMatch(/^kubectl/);
    }
    const meta = await rs.index.get(session.id);
    expect(meta?.summary).toContain(`Commands: kubectl get`);
    expect(meta?.outcomes).toEqual(['clean']);
  });

  it('records exec -i cat as asciicast with stdin, stdout and exit code, with no SPDY fallback', async () => {
    const since = Date.now();
    // Big enough for several recorded batches (32 KiB each) and many WebSocket frames.
    const input = Array.from({ length: 4000 }, (_, i) => `line ${i}: hello from stdin ✓\n`).join('');
    const result = await runKubectl({
      kubeconfig,
      version,
      args: ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'],
      stdin: input,
    });
    expect(result).toMatchObject({ code: 0, stdout: input });
    const execs = rs.stack.sandbox.requests.filter((r) => r.path.endsWith('/exec'));
    expect(execs.map((r) => r.method)).toEqual(['GET']);
    const session = await onlySession(since);
    const { events, dir, path } = await archivedEvents(session.id);
    const close = events.find((e) => e.type === 'stream-close');
    expect(close).toMatchObject({ exitCode: 0, closeCode: 1000 });
    const open = events.find((e) => e.type === 'stream-open');
    if (open?.type !== 'stream-open') throw new Error('no stream-open event');
    const cast = (await readFile(join(dir, path.replace(/\.jsonl$/, `.${open.stream}.cast`)), 'utf8'))
      .trim()
      .split('\n');
    const header = JSON.parse(cast[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ version: 2, width: 80, height: 24 });
    const entries = cast.slice(1).map((line) => JSON.parse(line) as [number, string, string]);
    for (const [t, code, data] of entries) {
      expect(typeof t).toBe('number');
      expect(['o', 'i', 'r']).toContain(code);
      expect(typeof data).toBe('string');
    }
    expect(
      entries
        .filter((e) => e[1] === 'i')
        .map((e) => e[2])
        .join(''),
    ).toBe(input);
    expect(
      entries
        .filter((e) => e[1] === 'o')
        .map((e) => e[2])
        .join(''),
    ).toBe(input);
    const times = entries.map((e) => e[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const replay = await rs.cli(['sessions', 'replay', session.id, '--speed', '1000']);
    expect(replay).toMatchObject({ code: 0, stdout: result.stdout });
  });

  it('records port-forward open, close and byte counts', async () => {
    const since = Date.now();
    const child = spawnKubectl({
      kubeconfig,
      version,
      args: ['-n', 'default', 'port-forward', 'deploy/web', ':8080'],
    });
    try {
      const out = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const echoed = await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = net.connect(port, '127.0.0.1', () => socket.end('ping through the gateway'));
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
      });
      expect(echoed).toBe('ping through the gateway');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((resolve) => child.once('close', resolve));
        child.kill('SIGTERM');
        await closed;
      }
    }
    const session = await onlySession(since);
    const { events } = await archivedEvents(session.id);
    const open = events.find((e) => e.type === 'stream-open');
    const close = events.find((e) => e.type === 'stream-close');
    expect(open).toMatchObject({
      kind: 'portforward',
      recorded: false,
      pod: expect.stringMatching(/^web-/),
      namespace: 'default',
    });
    if (close?.type !== 'stream-close') throw new Error('no stream-close event');
    expect(close.bytes.fromClient).toBeGreaterThan(0);
    expect(close.bytes.toClient).toBeGreaterThan(0);
    expect(close.ports).toEqual([8080]);
  });
});

it('records a 3 MB exec -i cat byte for byte while its frames wait in slabs reused from append to append', async () => {
  const since = Date.now();
  // Past the 1 MiB backlog at which the relay pauses, and many times the slab pool: a slab handed
  // out again while frames in it still waited would show as stdin or stdout recorded wrong.
  const input = Array.from({ length: 75_000 }, (_, i) => `${i} ${(i * 2654435761) % 4294967296} ✓\n`).join(
    '',
  );
  expect(input.length).toBeGreaterThan(1_000_000);
  const result = await runKubectl({
    kubeconfig,
    version: '1.33',
    args: ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'],
    stdin: input.repeat(2),
    timeoutMs: 120_000,
  });
  expect(result).toMatchObject({ code: 0, stdout: input.repeat(2) });
  const { events } = await archivedEvents((await onlySession(since)).id);
  const frames = events.flatMap((event) => (event.type === 'stream-data' ? event.frames : []));
  const channel = (n: number) =>
    Buffer.concat(
      frames.filter(([, c]) => c === n).map(([, , data]) => Buffer.from(data, 'base64')),
    ).toString();
  expect(channel(0)).toBe(input.repeat(2));
  expect(channel(1)).toBe(input.repeat(2));
});
