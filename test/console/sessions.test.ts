import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallDetail, CallPage, SessionDetail, SessionList } from '../../console/api.types.ts';
import { castFileName } from '../../src/recording/asciicast.ts';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from '../recording/gateway-support.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { AGENTS } from '../support/stack.ts';

/**
 * Recorded sessions in the web console, from a real kubectl through a recording gateway: the list
 * with its counts and filters, one session with its hash chain checked, its calls page by page,
 * one call's masked bodies on demand, and the exec replayed as asciicast v2.
 */
let rs: RecordingStack;
let alice: ConsoleClient;
let sessionId: string;
let streamId: string;

beforeAll(async () => {
  rs = await startRecordingStack({ policy: DEMO_POLICY, console: {} });
  alice = new ConsoleClient(rs.stack.console!);
  await alice.signIn(rs.stack.issuer, 'alice');
});

afterAll(async () => {
  await rs?.close();
});

describeWithKubectl(['1.33'], 'sessions in the console', () => {
  it('lists a recorded kubectl exec with its counts, and filters on exec, namespace and agent', async () => {
    const kubeconfig = await rs.stack.kubeconfigFor(AGENTS.agent.clientId);
    const since = Date.now();
    const exec = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'],
      stdin: 'hello console\n',
    });
    expect(exec.code).toBe(0);
    const get = await runKubectl({ kubeconfig, version: '1.33', args: ['get', 'pods', '-n', 'default'] });
    expect(get.code).toBe(0);
    const [execSession, getSession] = await rs.sessionsSince(since);
    sessionId = execSession!.id;
    await rs.waitForArchived(sessionId);
    await rs.waitForArchived(getSession!.id);

    const all = (await alice.get(`/api/v1/sessions?since=${since}`)).json<SessionList>();
    expect(all.items.map((s) => s.id)).toEqual([getSession!.id, sessionId]);
    expect(all.items[1]).toMatchObject({
      id: sessionId,
      state: 'closed',
      live: false,
      agent: 'agent-1',
      cluster: 'sandbox',
      command: 'kubectl exec',
      hasExec: true,
      namespaces: ['payments'],
      denials: 0,
      reviews: 0,
    });
    expect(all.items[1]!.calls).toBeGreaterThanOrEqual(2);

    const execOnly = (await alice.get(`/api/v1/sessions?since=${since}&hasExec=true`)).json<SessionList>();
    expect(execOnly.items.map((s) => s.id)).toEqual([sessionId]);
    const inDefault = (
      await alice.get(`/api/v1/sessions?since=${since}&namespace=default`)
    ).json<SessionList>();
    expect(inDefault.items.map((s) => s.id)).toEqual([getSession!.id]);
    expect(
      (await alice.get(`/api/v1/sessions?since=${since}&agent=nobody`)).json<SessionList>().items,
    ).toEqual([]);

    // One per page: the cursor leads from the newest to the older one, then ends.
    const first = (await alice.get(`/api/v1/sessions?since=${since}&limit=1`)).json<SessionList>();
    expect(first.items.map((s) => s.id)).toEqual([getSession!.id]);
    expect(first.nextCursor).toBeTruthy();
    const second = (
      await alice.get(`/api/v1/sessions?since=${since}&limit=1&cursor=${first.nextCursor}`)
    ).json<SessionList>();
    expect(second.items.map((s) => s.id)).toEqual([sessionId]);
    if (second.nextCursor) {
      const third = await alice.get(`/api/v1/sessions?since=${since}&limit=1&cursor=${second.nextCursor}`);
      expect(third.json<SessionList>().items).toEqual([]);
    }

    const bad = await alice.get('/api/v1/sessions?hasExec=maybe');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 400, message: 'hasExec must be true or false' });
    expect((await alice.get('/api/v1/sessions?colour=red')).status).toBe(400);
  });

  it('shows the session with its chain verified, its calls paged and one call on demand', async () => {
    const detail = (await alice.get(`/api/v1/sessions/${sessionId}`)).json<SessionDetail>();
    streamId = detail.streams[0]?.stream ?? '';
    expect(detail).toMatchObject({
      kind: 'Session',
      source: 'archive',
      chain: { state: 'verified', matchesIndex: true },
      caller: { subject: 'agent-1' },
      streams: [
        {
          stream: streamId,
          kind: 'exec',
          namespace: 'payments',
          pod: 'ledger-0',
          command: ['cat'],
          exitCode: 0,
          recorded: true,
          castUrl: `/api/v1/sessions/${sessionId}/streams/${streamId}/cast`,
        },
      ],
    });
    const page = (await alice.get(`/api/v1/sessions/${sessionId}/calls?offset=0&limit=1`)).json<CallPage>();
    expect(page).toMatchObject({ kind: 'CallPage', offset: 0, total: detail.callCount, nextOffset: 1 });
    expect(page.items).toHaveLength(1);
    const rest = (await alice.get(`/api/v1/sessions/${sessionId}/calls?offset=1&limit=500`)).json<CallPage>();
    expect(rest.items.length).toBe(detail.callCount - 1);
    expect(rest.nextOffset).toBeUndefined();
    const execCall = [...page.items, ...rest.items].find((call) => call.stream === streamId);
    expect(execCall).toMatchObject({
      verb: 'create',
      resource: 'pods',
      subresource: 'exec',
      namespace: 'payments',
      name: 'ledger-0',
      command: 'kubectl exec',
      decision: { action: 'allow' },
      status: 101,
    });
    const one = (await alice.get(`/api/v1/sessions/${sessionId}/calls/${execCall!.rid}`)).json<CallDetail>();
    expect(one).toMatchObject({ kind: 'Call', call: { rid: execCall!.rid } });
    expect(JSON.stringify(one.requestHeaders).toLowerCase()).not.toContain('authorization');

    expect((await alice.get(`/api/v1/sessions/${sessionId}/calls?limit=501`)).status).toBe(400);
    expect((await alice.get(`/api/v1/sessions/${sessionId}/calls/r-nothere`)).status).toBe(404);
    expect((await alice.get('/api/v1/sessions/s-0000000000')).status).toBe(404);
    expect((await alice.get('/api/v1/sessions/..%2F..%2Fetc')).status).toBe(404);
  });

  it('is linked from `hoop-gateway sessions show`', async () => {
    const shown = await rs.cli(['sessions', 'show', sessionId]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.split('\n')[1]).toBe(`console: ${rs.stack.console!.publicUrl}/sessions/${sessionId}`);
  });

  it('replays the exec as asciicast v2 with what was typed and printed', async () => {
    const cast = await alice.get(`/api/v1/sessions/${sessionId}/streams/${streamId}/cast`);
    expect(cast.status).toBe(200);
    expect(cast.headers['content-type']).toBe('application/x-asciicast; charset=utf-8');
    const [header, ...frames] = cast.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(header).toMatchObject({ version: 2, title: 'cat in payments/ledger-0 (ledger)' });
    expect(frames).toContainEqual([expect.any(Number), 'i', 'hello console\n']);
    expect(frames).toContainEqual([expect.any(Number), 'o', 'hello console\n']);
    // Exactly the file the recorder archived.
    const meta = await rs.index.get(sessionId);
    const archived = await readFile(
      join(rs.stack.dir, 'data', 'recordings', dirname(meta!.archive!), castFileName(sessionId, streamId)),
      'utf8',
    );
    expect(cast.body).toBe(archived);
    expect((await alice.get(`/api/v1/sessions/${sessionId}/streams/r-nothere0/cast`)).status).toBe(404);
  });
});
