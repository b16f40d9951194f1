/**
 * The recording spool (`recording.spool`, gateway/recording/spool.ts), with real kubectl and a
 * real Redis the test kills: while Redis is gone, allowed calls go through and their events are
 * fsynced to a local file; what policy sends to review is still refused (no approvals without
 * Redis); once Redis is back the file is flushed into the sessions in order, every hash chain
 * verifying. A full spool refuses again. (Trying to get around review, or to slip an edited spool
 * into the audit trail: test/security/outage-review-bypass.test.ts, spool-tampering.test.ts.)
 */
import { afterEach, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { rawRequest } from '../approvals-e2e/raw-https.ts';
import { NAMESPACE_PATH } from '../approvals-e2e/support.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { AGENTS } from '../support/stack.ts';
import {
  getNamespace,
  type SpoolStack,
  spooledBodies,
  spoolSize,
  startSpoolStack,
  until,
} from './spool-support.ts';

let spooled: SpoolStack | undefined;
let client: RedisConnection | undefined;

afterEach(async () => {
  client?.disconnect();
  await spooled?.close();
  spooled = undefined;
  client = undefined;
});

/** The event types of every session recorded so far, oldest session first. */
async function recordedTypes(url: string, prefix: string): Promise<string[]> {
  const connection = createRequestConnection({ url });
  try {
    await whenReady(connection, 5000);
    const index = new SessionIndex(connection, recordingKeys(`${prefix}:rec`));
    const types: string[] = [];
    for (const meta of (await index.list({ limit: 100 })).reverse()) {
      for (const line of await index.liveLines(meta.id))
        types.push((JSON.parse(line) as { type: string }).type);
    }
    return types;
  } finally {
    connection.disconnect();
  }
}

describeWithKubectl('1.33', 'the recording spool', () => {
  it('records allowed calls through an outage, refuses reviews, and flushes in order with chains intact', async () => {
    spooled = await startSpoolStack();
    const { prefix, kubeconfig, dir, redis, stack } = spooled;
    expect((await getNamespace(kubeconfig, 'default')).code).toBe(0);
    // The response event is appended after kubectl has its answer: wait for it, or it would land
    // in the spool and be flushed into the emptied Redis without its request.
    await until(
      async () => (await recordedTypes(redis.url, prefix)).includes('response'),
      'the first call was not recorded',
    );

    await redis.stop();
    for (const name of ['default', 'payments', 'scratch']) {
      const result = await getNamespace(kubeconfig, name);
      expect(result, `get ${name} while Redis is down`).toMatchObject({
        code: 0,
        stdout: `namespace/${name}\n`,
      });
    }
    // Recording does not make the gateway unready while the spool takes its events.
    const ready = await rawRequest({
      url: `${stack.gateway.url}/readyz?verbose`,
      method: 'GET',
      token: 'none',
      caPem: stack.gateway.caPem ?? '',
    });
    expect(ready.body).toContain('[-]redis-approvals');
    expect(ready.body).not.toContain('redis-recording');

    // A call policy sends to review is refused (test/security/outage-review-bypass.test.ts), and
    // recorded as such in the spool.
    const review = await rawRequest({
      url: `${stack.clusterUrl()}${NAMESPACE_PATH}`,
      method: 'DELETE',
      token: await stack.issuer.issueToken(AGENTS.agent.clientId),
      caPem: stack.gateway.caPem ?? '',
      body: '{"propagationPolicy":"Background"}',
    });
    expect(review.status).toBe(503);

    type Body = { type: string; method?: string; path?: string };
    const spooledRequests = async () =>
      (await spooledBodies<Body>(dir)).filter((body) => body.type === 'request');
    // A refused call's request event is written after its answer, beside its response event.
    await until(
      async () => (await spooledRequests()).some((body) => body.method === 'DELETE'),
      'the refused call was not spooled',
    );
    const paths = (await spooledRequests()).map((body) => body.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/namespaces/default',
        '/api/v1/namespaces/payments',
        '/api/v1/namespaces/scratch',
        NAMESPACE_PATH,
      ]),
    );
    const at = (path: string) => paths.indexOf(path);
    expect(at('/api/v1/namespaces/default')).toBeLessThan(at('/api/v1/namespaces/payments'));
    expect(at('/api/v1/namespaces/payments')).toBeLessThan(at('/api/v1/namespaces/scratch'));

    // Redis is back (empty: the throwaway keeps nothing): the spool drains into it.
    await redis.start();
    await until(async () => (await spoolSize(dir)) === 0, 'the spool was not flushed');
    client = createRequestConnection({ url: redis.url });
    await whenReady(client, 5000);
    const index = new SessionIndex(client, recordingKeys(`${prefix}:rec`));
    const sessions = await index.list({ limit: 100 });
    const flushedPaths: string[] = [];
    for (const meta of sessions.reverse()) {
      const lines = await index.liveLines(meta.id);
      expect(verifyChain(meta.id, lines, { count: meta.seq, finalHash: meta.hash }), meta.id).toMatchObject({
        ok: true,
      });
      const events = lines.map((line) => JSON.parse(line) as { type: string; rid: string; path?: string });
      // Within a session, each request's response follows its request.
      for (const response of events.filter((e) => e.type === 'response')) {
        const request = events.findIndex((e) => e.type === 'request' && e.rid === response.rid);
        expect(request).toBeGreaterThanOrEqual(0);
        expect(request).toBeLessThan(events.indexOf(response));
      }
      for (const event of events) if (event.type === 'request' && event.path) flushedPaths.push(event.path);
    }
    expect(flushedPaths).toEqual(paths);
    expect(stack.logLines.some((line) => line.includes('spooled events flushed to Redis'))).toBe(true);
  });

  it('records an exec stream through an outage: its frames spooled in base64, flushed as relayed', async () => {
    const policy = {
      default: 'deny',
      rules: [
        { name: 'read', action: 'allow', match: { verbs: ['get'] } },
        { name: 'exec', action: 'allow', match: { resources: ['pods/exec'], verbs: ['create'] } },
      ],
    };
    spooled = await startSpoolStack({}, policy);
    const { prefix, kubeconfig, dir, redis } = spooled;
    await redis.stop();
    const input = 'spooled stdin line\n'.repeat(4000); // ~76 KB: frames of every size
    const run = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['exec', '-i', '-n', 'payments', 'ledger-0', '--', 'cat'],
      stdin: input,
      timeoutMs: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run).toMatchObject({ code: 0, stdout: input });

    // The exec's last frames and its response event are spooled after kubectl has its answer.
    type Body = { type: string; frames?: Array<[number, number, unknown]> };
    let bodies: Body[] = [];
    await until(async () => {
      bodies = await spooledBodies<Body>(dir);
      return bodies.some((body) => body.type === 'response');
    }, 'the exec response event was not spooled');
    const spooledFrames = bodies.flatMap((body) => (body.type === 'stream-data' ? (body.frames ?? []) : []));
    expect(spooledFrames.length).toBeGreaterThan(0);
    for (const frame of spooledFrames) expect(typeof frame[2]).toBe('string');

    await redis.start();
    await until(async () => (await spoolSize(dir)) === 0, 'the spool was not flushed');
    client = createRequestConnection({ url: redis.url });
    await whenReady(client, 5000);
    const index = new SessionIndex(client, recordingKeys(`${prefix}:rec`));
    const [meta] = await index.list({ limit: 10 });
    const lines = await index.liveLines(meta!.id);
    expect(verifyChain(meta!.id, lines, { count: meta!.seq, finalHash: meta!.hash })).toMatchObject({
      ok: true,
    });
    const frames = lines
      .map((line) => JSON.parse(line) as { type: string; frames?: Array<[number, number, string]> })
      .flatMap((event) => (event.type === 'stream-data' ? (event.frames ?? []) : []));
    const channel = (n: number) =>
      Buffer.concat(
        frames.filter(([, c]) => c === n).map(([, , data]) => Buffer.from(data, 'base64')),
      ).toString();
    expect(channel(0)).toBe(input);
    expect(channel(1)).toBe(input);
  });

  it('refuses again once the spool is full', async () => {
    spooled = await startSpoolStack({ maxBytes: 8192 });
    const { kubeconfig, dir, redis } = spooled;
    await redis.stop();
    let refused: Awaited<ReturnType<typeof getNamespace>> | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const result = await getNamespace(kubeconfig, 'default');
      if (result.code !== 0) refused = result;
    }
    expect(refused?.stderr).toContain('the local recording spool is full (8192 bytes)');
    expect(await spoolSize(dir)).toBeLessThanOrEqual(8192);
  });
});
