/**
 * What recording refuses and what it never stores: SPDY exec (kubectl 1.29) is refused with the
 * explanatory Status unless the policy allows unrecorded streams, and works recorded over
 * WebSocket; secret values (created by kubectl 1.33 as protobuf, read back, and the sandbox's
 * seeded ones) and the agent's token appear nowhere in Redis, the archive or the logs; with Redis
 * down and `recording.required`, requests are refused with 503 and nothing reaches the cluster.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { SEED_VALUES } from '@hoop-gateway/sandbox/server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeWithKubectl, runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';
import { AGENTS, startStack } from '../support/stack.ts';
import { DEMO_POLICY, type RecordingStack, startRecordingStack } from './gateway-support.ts';
import { dumpKeys } from './support.ts';

const POD = ['-n', 'payments', 'ledger-0'];
let rs: RecordingStack;
let kubeconfig: string;
/** Exec into pods of `default` may pass unrecorded (first, so it is the rule that decides). */
const LEGACY_EXEC = {
  name: 'legacy-exec-default',
  action: 'allow',
  allowUnrecordedStreams: true,
  match: {
    groups: ['ai-agents'],
    namespaces: ['default'],
    resources: ['pods/exec'],
    verbs: ['create', 'get'],
  },
};

beforeAll(async () => {
  const demo = DEMO_POLICY as { rules: unknown[] };
  const policy = { ...demo, rules: [LEGACY_EXEC, ...demo.rules] };
  rs = await startRecordingStack({ policy, kubeVersion: '1.29' });
  kubeconfig = await rs.stack.kubeconfigFor(AGENTS.agent.clientId);
});
afterAll(async () => rs?.close());
beforeEach(() => {
  rs.stack.sandbox.requests.length = 0;
});

describeWithKubectl(['1.29', '1.33'], 'exec with kubectl 1.29', () => {
  it('is refused over SPDY with a message that says how to get a recordable client', async () => {
    const result = await runKubectl({ kubeconfig, version: '1.29', args: ['exec', ...POD, '--', 'env'] });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error from server (Forbidden)');
    expect(result.stderr).toContain('kubectl 1.30 or later');
    expect(result.stderr).toContain('KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true');
    expect(rs.stack.sandbox.requests.filter((r) => r.path.endsWith('/exec'))).toEqual([]);
  });

  it('works and is recorded with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true', async () => {
    const since = Date.now();
    const result = await runKubectl({
      kubeconfig,
      version: '1.29',
      env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' },
      args: ['exec', '-i', ...POD, '--', 'cat'],
      stdin: 'over websockets\n',
    });
    expect(result).toMatchObject({ code: 0, stdout: 'over websockets\n' });
    const [session] = await rs.sessionsSince(since);
    const meta = await rs.waitForArchived(session?.id ?? '');
    expect(meta.summary).toContain('Exec: `cat` in payments/ledger-0: exit 0');
  });

  it('passes SPDY through unrecorded where the policy allows unrecorded streams', async () => {
    const since = Date.now();
    const pods = await runKubectl({
      kubeconfig,
      version: '1.29',
      args: ['get', 'pods', '-n', 'default', '-o', 'name'],
    });
    const pod = pods.stdout.split('\n')[0]?.replace('pod/', '') ?? '';
    rs.stack.sandbox.requests.length = 0;
    const result = await runKubectl({
      kubeconfig,
      version: '1.29',
      args: ['exec', '-n', 'default', pod, '--', 'env'],
    });
    // The sandbox itself refuses SPDY exec; what matters is that the gateway let it through.
    expect(result.stderr).toContain('exec over SPDY is not supported by this sandbox');
    expect(rs.stack.sandbox.requests.filter((r) => r.path.endsWith('/exec')).map((r) => r.method)).toEqual([
      'POST',
    ]);
    const sessions = await rs.sessionsSince(since);
    const last = sessions[sessions.length - 1]!;
    await rs.waitForArchived(last.id);
    const show = await rs.cli(['sessions', 'show', last.id]);
    expect(show.stdout).toContain('(not recorded frame by frame)');
  });

  it('reports an upstream refusal in-band, so kubectl ≥ 1.30 never falls back to SPDY', async () => {
    const result = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['exec', ...POD, '-c', 'nope', '--', 'true'],
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('nope');
    expect(result.stderr).not.toContain('SPDY');
    expect(rs.stack.sandbox.requests.filter((r) => r.path.endsWith('/exec')).map((r) => r.method)).toEqual([
      'GET',
    ]);
  });
});

describeWithKubectl('1.29', 'port-forward with kubectl 1.29 (SPDY)', () => {
  it('is relayed and recorded with its ports and byte counts', async () => {
    const since = Date.now();
    const child = spawnKubectl({
      kubeconfig,
      version: '1.29',
      args: ['-n', 'default', 'port-forward', 'deploy/web', ':8080'],
    });
    try {
      const out = await waitForOutput(child, /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/);
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.end('over spdy'));
        socket.on('error', reject);
        socket.on('close', () => resolve());
        socket.resume();
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((resolve) => child.once('close', resolve));
        child.kill('SIGTERM');
        await closed;
      }
    }
    expect(
      rs.stack.sandbox.requests.filter((r) => r.path.endsWith('/portforward')).map((r) => r.method),
    ).toEqual(['POST']);
    const sessions = await rs.sessionsSince(since);
    const meta = await rs.waitForArchived(sessions[sessions.length - 1]!.id);
    const show = await rs.cli(['sessions', 'show', meta.id]);
    expect(show.stdout).toMatch(/stream closed after .*: ports 8080, \d+ bytes in, \d+ bytes out/);
  });
});

describeWithKubectl('1.33', 'secrets', () => {
  it('never stores a created or read secret value, a seeded one, or the token', async () => {
    const unique = `pw-${randomBytes(12).toString('hex')}`;
    const name = `s-${randomBytes(4).toString('hex')}`;
    const since = Date.now();
    const created = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['create', 'secret', 'generic', name, '-n', 'scratch', `--from-literal=password=${unique}`],
    });
    expect(created).toMatchObject({ code: 0 });
    const post = rs.stack.sandbox.requests.find((r) => r.method === 'POST' && r.path.endsWith('/secrets'));
    expect(post?.headers.contentType).toBe('application/vnd.kubernetes.protobuf');
    for (const args of [
      ['get', 'secret', name, '-n', 'scratch', '-o', 'yaml'],
      ['get', 'secret', 'db-credentials', '-n', 'payments', '-o', 'json'],
      ['get', 'secrets', '-A', '-o', 'yaml'],
      ['get', 'deploy', 'web', '-n', 'default', '-o', 'yaml'],
      ['logs', '-n', 'default', 'deploy/web'],
    ]) {
      expect(await runKubectl({ kubeconfig, version: '1.33', args })).toMatchObject({ code: 0 });
    }
    const sessions = await rs.sessionsSince(since);
    expect(sessions.length).toBe(6);
    for (const session of sessions) await rs.waitForArchived(session.id);

    const token = /token: (\S+)/.exec(await readFile(kubeconfig, 'utf8'))?.[1] ?? '';
    expect(token.length).toBeGreaterThan(20);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const forbidden = [
      unique,
      b64(unique),
      SEED_VALUES.ledgerDbPassword,
      b64(SEED_VALUES.ledgerDbPassword),
      SEED_VALUES.demoToken,
      b64(SEED_VALUES.demoToken),
      SEED_VALUES.webDbPassword,
      SEED_VALUES.awsSecretAccessKey,
      token,
    ];
    const dir = join(rs.stack.dir, 'data', 'recordings');
    const archive = await Promise.all(
      (await readdir(dir, { recursive: true }))
        .filter((f) => /\.(jsonl|cast)$/.test(f))
        .map((f) => readFile(join(dir, f), 'utf8')),
    );
    const stores = {
      redis: await dumpKeys(rs.redis, `${rs.prefix}:*`),
      archive: archive.join('\n'),
      logs: rs.stack.logLines.join(''),
    };
    expect(stores.archive).toContain('"omitted":"protobuf"');
    for (const [where, text] of Object.entries(stores)) {
      for (const value of forbidden)
        expect(text.includes(value), `${where} holds ${value.slice(0, 12)}…`).toBe(false);
    }
  });
});

describe('fail closed', () => {
  it('answers 503 and forwards nothing while Redis is down, when recording is required', async () => {
    const down = await startStack({
      policy: DEMO_POLICY,
      config: { recording: { redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'test:rec-down', idleGap: '1s' } },
    });
    try {
      const token = await down.issuer.issueToken(AGENTS.agent.clientId);
      const res = await fetchStatus(down.clusterUrl(), down.gateway.caPem ?? '', token);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
      expect(String(res.body['message'])).toMatch(/^recording unavailable/);
      expect(down.sandbox.requests).toEqual([]);
    } finally {
      await down.close();
    }
  });
});

async function fetchStatus(base: string, caPem: string, token: string) {
  const { request } = await import('node:https');
  const url = new URL(`${base}/api/v1/namespaces/default/pods`);
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(url, { ca: caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
