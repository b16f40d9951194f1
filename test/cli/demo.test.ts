/**
 * `hoop-gateway demo` as a newcomer runs it: the command starts, prints `ready`, and the files it
 * writes work — the agent kubeconfig (an exec credential against the local issuer) with the real
 * kubectl, the config with `reviews` and `sessions`. A held namespace delete completes once
 * approved from the terminal, and the process stops cleanly on SIGTERM.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';

const BIN = new URL('../../bin/hoop-gateway.ts', import.meta.url).pathname;
const run = promisify(execFile);
const prefix = `hoop-demo-test-${randomBytes(4).toString('hex')}`;

let dir: string;
let demo: ChildProcess;
let output = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-demo-'));
  demo = spawn(process.execPath, [BIN, 'demo', '--dir', dir, '--port', '0', '--key-prefix', prefix], {
    env: { ...process.env, REDIS_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!/ready/.test(output)) {
    if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  const redis = createRequestConnection({ url: REDIS_URL });
  try {
    await whenReady(redis, 5000);
    await deleteKeys(redis, `${prefix}:*`);
  } finally {
    redis.disconnect();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

const kubectl = (args: string[]) =>
  runKubectl({ kubeconfig: join(dir, 'kubeconfig'), args, timeoutMs: 60_000 });
const cli = (args: string[]) =>
  run(process.execPath, [BIN, ...args, '--config', join(dir, 'hoop.yaml')], {
    env: { ...process.env, REDIS_URL },
  });

describe('hoop-gateway demo', () => {
  it('prints ready and what to try, and no warning when Redis answers', () => {
    expect(output).toMatch(/hoop-gateway demo ready: gateway https:\/\/127\.0\.0\.1:\d+\/clusters\/sandbox/);
    expect(output).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    expect(output).not.toContain('warning');
  });

  it('its kubeconfig works with kubectl through the exec credential plugin', async () => {
    const pods = await kubectl(['get', 'pods', '-A']);
    expect(pods.code, pods.stderr).toBe(0);
    expect(pods.stdout).toContain('ledger-0');
    const forwarded = await kubectl(['-n', 'payments', 'port-forward', 'pod/ledger-0', ':80']);
    expect(forwarded.code).toBe(1);
    expect(forwarded.stderr).toContain('no-port-forward-in-payments');
  });

  it('holds a namespace delete until it is approved from the terminal, and records the sessions', async () => {
    const deletion = kubectl(['delete', 'namespace', 'scratch']);
    let id: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!id && Date.now() < deadline) {
      const { stdout } = await cli(['reviews', 'list', '--state', 'pending']);
      id = /r-[0-9a-z]{6}(?=\s+\S+\s+delete namespaces scratch)/.exec(stdout)?.[0];
      if (!id) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(id, 'a pending review for the delete').toBeDefined();
    const approved = await cli(['reviews', 'approve', id!]);
    expect(approved.stdout).toContain(`approved ${id}`);
    const result = await deletion;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('namespace "scratch" deleted');

    const sessions = await cli(['sessions', 'list']);
    expect(sessions.stdout).toContain('kubectl delete');
    expect(sessions.stdout).toContain('demo-agent');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
