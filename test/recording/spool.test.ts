/**
 * The recording spool (`recording.spool`, gateway/recording/spool.ts), with real kubectl and a
 * real Redis the test kills: while Redis is gone, allowed calls go through and their events are
 * fsynced to a local file; what policy sends to review is still refused (no approvals without
 * Redis); once Redis is back the file is flushed into the sessions in order, every hash chain
 * verifying. A full spool refuses again, and a spool edited on disk is set aside, not flushed.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { verifyChain } from '../../src/recording/hash-chain.ts';
import { recordingKeys } from '../../src/recording/scripts.ts';
import { SessionIndex } from '../../src/recording/session-index.ts';
import { freshPrefix } from '../approvals/helpers.ts';
import { rawRequest, statusMessage } from '../approvals-e2e/raw-https.ts';
import { NAMESPACE_PATH, reviewPolicy } from '../approvals-e2e/support.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { AGENTS, type Stack, startStack } from '../support/stack.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

let redis: ThrowawayRedis | undefined;
let stack: Stack | undefined;
let client: RedisConnection | undefined;

afterEach(async () => {
  await redis?.start().catch(() => undefined);
  await stack?.close();
  client?.disconnect();
  await redis?.stop();
  redis = undefined;
  stack = undefined;
  client = undefined;
});

async function start(
  spool: Record<string, unknown>,
): Promise<{ prefix: string; kubeconfig: string; dir: string }> {
  redis = await throwawayRedis();
  await redis.start();
  const prefix = freshPrefix('spool');
  stack = await startStack({
    policy: reviewPolicy(),
    config: {
      approvals: { redisUrl: redis.url, keyPrefix: prefix, holdSeconds: 5 },
      recording: { redisUrl: redis.url, keyPrefix: prefix, idleGap: '1s', spool },
    },
  });
  return {
    prefix,
    kubeconfig: await stack.kubeconfigFor(AGENTS.agent.clientId),
    dir: join(stack.dir, 'data', 'recording-spool'),
  };
}

const get = (kubeconfig: string, name: string) =>
  runKubectl({
    kubeconfig,
    version: '1.33',
    args: ['get', 'namespace', name, '-o', 'name'],
    timeoutMs: 60_000,
  });

async function spoolSize(dir: string): Promise<number> {
  return stat(join(dir, 'events.jsonl')).then(
    (s) => s.size,
    () => 0,
  );
}

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describeWithKubectl('1.33', 'the recording spool', () => {
  it('records allowed calls through an outage, refuses reviews, and flushes in order with chains intact', async () => {
    const { prefix, kubeconfig, dir } = await start({});
    expect((await get(kubeconfig, 'default')).code).toBe(0);

    await redis!.stop();
    for (const name of ['default', 'payments', 'scratch']) {
      const result = await get(kubeconfig, name);
      expect(result, `get ${name} while Redis is down`).toMatchObject({
        code: 0,
        stdout: `namespace/${name}\n`,
      });
    }
    // Review needs Redis: refused, never forwarded, whatever the spool could record.
    const review = await rawRequest({
      url: `${stack!.clusterUrl()}${NAMESPACE_PATH}`,
      method: 'DELETE',
      token: await stack!.issuer.issueToken(AGENTS.agent.clientId),
      caPem: stack!.gateway.caPem ?? '',
      body: '{"propagationPolicy":"Background"}',
    });
    expect(review.status).toBe(503);
    expect(statusMessage(review.body)).toMatch(/^approvals unavailable/);
    expect(stack!.sandbox.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);

    const spooled = (await readFile(join(dir, 'events.jsonl'), 'utf8')).trim().split('\n');
    const paths = spooled
      .map((line) => JSON.parse(line) as { entry: { body: { type: string; path?: string } } })
      .filter((line) => line.entry.body.type === 'request')
      .map((line) => line.entry.body.path);
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
    await redis!.start();
    await until(async () => (await spoolSize(dir)) === 0, 'the spool was not flushed');
    client = createRequestConnection({ url: redis!.url });
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
    expect(stack!.logLines.some((line) => line.includes('spooled events flushed to Redis'))).toBe(true);
  });

  it('refuses again once the spool is full', async () => {
    const { kubeconfig, dir } = await start({ maxBytes: 8192 });
    await redis!.stop();
    let refused: Awaited<ReturnType<typeof get>> | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const result = await get(kubeconfig, 'default');
      if (result.code !== 0) refused = result;
    }
    expect(refused?.stderr).toContain('the local recording spool is full (8192 bytes)');
    expect(await spoolSize(dir)).toBeLessThanOrEqual(8192);
  });

  it('sets aside a spool edited on disk instead of flushing it', async () => {
    const { prefix, kubeconfig, dir } = await start({});
    await redis!.stop();
    expect((await get(kubeconfig, 'payments')).code).toBe(0);
    const file = join(dir, 'events.jsonl');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('/api/v1/namespaces/payments');
    await writeFile(file, text.replace('/api/v1/namespaces/payments', '/api/v1/namespaces/nothing-to-see'));

    await redis!.start();
    await until(
      async () => (await readdir(dir)).some((name) => name.startsWith('events.jsonl.rejected-')),
      'the edited spool was not set aside',
    );
    client = createRequestConnection({ url: redis!.url });
    await whenReady(client, 5000);
    expect(await new SessionIndex(client, recordingKeys(`${prefix}:rec`)).list({ limit: 100 })).toEqual([]);
    expect(stack!.logLines.some((line) => line.includes('the spool does not verify'))).toBe(true);
  });
});
