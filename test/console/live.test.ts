import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiError, CallRow, LiveOutput, SessionDetail, StreamSummary } from '../../console/api.types.ts';
import { canonicalJson } from '../../src/recording/hash-chain.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { gatewayRequest } from '../e2e/helpers.ts';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from '../recording/gateway-support.ts';
import { ConsoleClient, openEventStream } from '../support/console-client.ts';
import { kubectlPath } from '../support/kubectl.ts';

/**
 * A running session in the web console: its live view (Server-Sent Events read from the session's
 * Redis stream) receives a call as the agent makes it, the number of live views is bounded, and an
 * event changed in Redis shows as a broken hash chain at that event.
 */
let rs: RecordingStack;
let alice: ConsoleClient;

beforeAll(async () => {
  rs = await startRecordingStack({
    policy: DEMO_POLICY,
    console: { maxLiveViews: 1 },
    // A session stays open (live) for the whole test.
    recording: { idleGap: '1h' },
  });
  alice = new ConsoleClient(rs.stack.console!);
  await alice.signIn(rs.stack.issuer, 'alice');
});

afterAll(async () => {
  await rs?.close();
});

async function agentGet(token: string, path: string): Promise<void> {
  const answer = await gatewayRequest(rs.stack, { path: `/clusters/sandbox${path}`, token });
  expect(answer.status, answer.body).toBe(200);
}

it('streams a new call of a live session to its viewer, and bounds the number of viewers', async () => {
  const since = Date.now();
  const token = await rs.stack.issuer.issueToken('agent-1');
  await agentGet(token, '/api/v1/namespaces/default/pods');
  const [session] = await rs.sessionsSince(since);
  expect(session).toMatchObject({ state: 'open', kind: 'idle', agent: 'agent-1' });
  const target = rs.stack.console!;
  const live = await openEventStream(alice, target, `/api/v1/sessions/${session!.id}/live`);
  try {
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const snapshot = JSON.parse((await live.next((e) => e.event === 'snapshot')).data) as SessionDetail;
    expect(snapshot).toMatchObject({
      kind: 'Session',
      source: 'live',
      session: { id: session!.id, live: true },
    });
    expect(snapshot.callCount).toBe(1);

    const second = new ConsoleClient(target);
    await second.signIn(rs.stack.issuer, 'bob');
    const refused = await second.get(`/api/v1/sessions/${session!.id}/live`);
    expect(refused.status).toBe(429);
    expect(refused.json<ApiError>().message).toBe('too many live views are open; try again in a minute');

    await agentGet(token, '/api/v1/namespaces/payments/pods');
    const answered = await live.next((e) => {
      if (e.event !== 'call') return false;
      const call = JSON.parse(e.data) as CallRow;
      return call.namespace === 'payments' && call.status === 200;
    });
    expect(JSON.parse(answered.data)).toMatchObject({
      index: 1,
      verb: 'list',
      resource: 'pods',
      namespace: 'payments',
      decision: { action: 'allow' },
      status: 200,
    });
    expect(answered.id).toMatch(/^\d+-\d+$/);
  } finally {
    live.close();
  }
});

it('streams an exec’s output as the agent types, and the stream’s close with its exit code', async () => {
  const kubeconfig = await rs.stack.kubeconfigFor('agent-1');
  const since = Date.now();
  const kubectl = spawn(kubectlPath('1.33'), ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', KUBECONFIG: kubeconfig, HOME: rs.stack.dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let echoed = '';
  kubectl.stdout.on('data', (chunk: Buffer) => {
    echoed += chunk.toString();
  });
  try {
    kubectl.stdin.write('first line\n');
    for (const until = Date.now() + 20_000; !echoed.includes('first line'); ) {
      if (Date.now() > until) throw new Error('kubectl exec did not echo');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const session = (await rs.sessionsSince(since)).find((s) => s.kind === 'kubectl');
    expect(session).toMatchObject({ state: 'open', command: 'kubectl exec' });
    // The other live view is closed by now; this one is the only one (maxLiveViews: 1).
    const live = await openEventStream(alice, rs.stack.console!, `/api/v1/sessions/${session!.id}/live`);
    try {
      expect(live.status).toBe(200);
      const snapshot = JSON.parse((await live.next((e) => e.event === 'snapshot')).data) as SessionDetail;
      const stream = snapshot.streams[0]!;
      expect(stream).toMatchObject({ kind: 'exec', pod: 'ledger-0', recorded: true });
      expect(stream.exitCode).toBeUndefined();
      kubectl.stdin.write('typed while watched\n');
      const output = await live.next(
        (e) =>
          e.event === 'output' &&
          (JSON.parse(e.data) as LiveOutput).frames.some(
            ([, code, text]) => code === 'o' && text.includes('typed while watched'),
          ),
      );
      expect(JSON.parse(output.data)).toMatchObject({ stream: stream.stream });
      // A bulk of output, recorded by reference (its line beside the stream's entry), read back.
      kubectl.stdin.write(`${'y'.repeat(24 * 1024)} bulk-marker\n`);
      await live.next(
        (e) =>
          e.event === 'output' &&
          (JSON.parse(e.data) as LiveOutput).frames.some(
            ([, code, text]) => code === 'o' && text.includes('bulk-marker'),
          ),
      );
      const key = recordingKeys(`${rs.prefix}:rec`).events(session!.id);
      const entries = (await rs.redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
      expect(entries.some(([, fields]) => fields[0] === 'r')).toBe(true);
      kubectl.stdin.end();
      const closed = await live.next(
        (e) => e.event === 'stream' && (JSON.parse(e.data) as StreamSummary).exitCode !== undefined,
      );
      expect(JSON.parse(closed.data)).toMatchObject({ stream: stream.stream, exitCode: 0 });
    } finally {
      live.close();
    }
  } finally {
    if (kubectl.exitCode === null) kubectl.kill('SIGKILL');
  }
});

it('reports the chain broken at the event someone changed in Redis', async () => {
  // The agent's idle session from the first test, still open.
  const token = await rs.stack.issuer.issueToken('agent-1');
  await agentGet(token, '/api/v1/namespaces/default/configmaps');
  const session = (await rs.sessionsSince(0)).find((s) => s.kind === 'idle');
  expect(session).toMatchObject({ state: 'open', agent: 'agent-1' });
  const id = session!.id;
  const before = (await alice.get(`/api/v1/sessions/${id}`)).json<SessionDetail>();
  expect(before.chain).toMatchObject({ state: 'verified' });

  // Rewrite the session's stream with event 3 (the response) claiming another status.
  const key = recordingKeys(`${rs.prefix}:rec`).events(id);
  const entries = (await rs.redis.xrange(key, '-', '+')) as Array<[string, string[]]>;
  const lines = entries.map(([, fields]) => fields[fields.indexOf('e') + 1]!);
  const tampered = lines.map((line, index) => {
    if (index !== 2) return line;
    const event = JSON.parse(line) as Record<string, unknown>;
    expect(event['type']).toBe('response');
    return canonicalJson({ ...event, status: 403 });
  });
  await rs.redis.del(key);
  for (const line of tampered) await rs.redis.xadd(key, '*', 'e', line);

  const after = (await alice.get(`/api/v1/sessions/${id}`)).json<SessionDetail>();
  expect(after.chain).toEqual({
    state: 'broken',
    atEvent: 3,
    line: 3,
    reason: 'content does not match its hash',
  });
});
