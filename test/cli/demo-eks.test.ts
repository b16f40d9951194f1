/**
 * `hoop-gateway demo --eks` as a newcomer runs it: it starts, prints `ready`, and the real kubectl
 * with the kubeconfig it wrote (whose user runs the real `aws eks get-token`) reads and writes
 * the sandbox as the IAM-authenticated agent; the gateway's log holds no token; SIGTERM stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';

const BIN = new URL('../../bin/hoop-gateway.ts', import.meta.url).pathname;
let dir: string;
let demo: ChildProcess;
let output = '';
let redis: RedisConnection;
/** The demo's own key prefix: its held calls' queues and records live under it, not under `hoop`. */
const prefix = `hoop-demo-eks-test-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  dir = await mkdtemp(join(tmpdir(), 'hoop-demo-eks-'));
  demo = spawn(
    process.execPath,
    [BIN, 'demo', '--eks', '--dir', dir, '--port', '0', '--key-prefix', prefix],
    {
      env: { ...process.env, REDIS_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  demo.stdout?.on('data', collect);
  demo.stderr?.on('data', collect);
  const deadline = Date.now() + 90_000;
  while (!/Stop with Ctrl-C/.test(output)) {
    if (Date.now() > deadline || demo.exitCode !== null)
      throw new Error(`demo --eks did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 120_000);
afterAll(async () => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

describe('hoop-gateway demo --eks', () => {
  it('kubectl works through it as the IAM agent, no token reaches the log, SIGTERM stops it', async () => {
    expect(output).toContain('demo --eks ready');
    expect(output).toContain(`held calls under ${prefix}:`);
    const kubeconfig = join(dir, 'kubeconfig-eks');
    const read = await runKubectl({ kubeconfig, args: ['get', 'pods', '-A'], timeoutMs: 90_000 });
    expect(read.stderr).toBe('');
    expect(read.stdout).toContain('ledger-0');
    const write = await runKubectl({
      kubeconfig,
      args: ['-n', 'scratch', 'create', 'configmap', 'hello', '--from-literal=a=b'],
      timeoutMs: 90_000,
    });
    expect(write.stdout).toContain('configmap/hello created');
    const log = await readFile(join(dir, 'gateway-eks.log'), 'utf8');
    expect(log).toContain('"subject":"demo-agent"');
    expect(log).toContain('"issuer":"aws-iam"');
    expect(log).not.toMatch(/k8s-aws-v1|X-Amz-Signature|AKIA/);
    // The expire worker for held calls keeps its queue under the demo's prefix.
    const [, ownKeys] = await redis.scan('0', 'MATCH', `${prefix}:expire:*`, 'COUNT', 10_000);
    expect(ownKeys.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
