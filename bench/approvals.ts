/**
 * Approvals benchmark: how long a held call waits after its approval, and what holding many
 * calls costs the gateway.
 *
 * A gateway of its own (a child process, approvals on a fresh Redis key prefix, recording off)
 * in front of the sandbox; the policy sends every `get` of a ConfigMap in namespace `held` to
 * review. The client (this process) opens `count` such calls at once, each for its own ConfigMap
 * name, over connections of their own. Once all are pending, each review is approved in turn
 * through the decision path the chat bots use — `ReviewStore.decide` with a signed decision, the
 * bot key the gateway trusts — and the latency is from just before that call to the client
 * receiving the held call's response (which the gateway sends only after the sandbox answered:
 * so it covers the gateway noticing the decision, claiming it, forwarding and the answer back).
 *
 * Latency: after a warm-up round of 10 (the first decisions after start pay for lazy setup),
 * three rounds of `latency` held calls, percentiles over all their decisions. Memory: one round
 * of `memory` held calls; the gateway's RSS (from /proc) before, with all of them held (1 s after
 * the last was held, and settled: the lowest over the 6 s after that, by when the gateway's idle
 * collection has run), the highest sampled on the way, and after. The floor beside it: the same
 * calls held by a bare Node HTTPS server (bench/bare-holder.ts, same allocator, flags and
 * certificate, measured settled alike), which costs what any Node TLS server pays per held request.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { Redis } from 'ioredis';
import { ReviewStore } from '../src/approvals/review-store.ts';
import { createDecisionSigner, generateDecisionKeyPair } from '../src/approvals/signing/decision-keys.ts';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import { BENCH_AUDIENCE, benchGatewayConfig, gatewayProcess, issueGatewayTls } from './gateway-config.ts';
import {
  freePort,
  rssKb,
  settledRssKb,
  shippedGateway,
  startChild,
  startSandboxChild,
  stopChild,
  v8HeapMb,
} from './processes.ts';
import { benchKeyPrefix, deleteKeys } from './redis-keys.ts';

const APPROVER = 'bench-approver';

export interface ApprovalsBenchResult {
  /** Calls held at once. */
  held: number;
  /** Decisions measured (over all rounds of this size). */
  decisions: number;
  /** Decision (just before `decide`) to the held call's response at the client, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * Gateway RSS, MB: before; the highest sampled while the calls arrived and for 1 s after; 1 s after
   * all were held (what rounds before the twenty-fifth reported as held); settled with them held
   * (the lowest over the next 6 s: the idle collection runs ~4 s after they arrived); after.
   */
  baselineMb: number;
  peakMb: number;
  heldSoonMb: number;
  heldMb: number;
  afterMb: number;
  /** V8's committed heap (MB) before and with the calls held: the JS part of the RSS. */
  heapMb: { baseline: number; held: number };
  /** Calls that did not come back 404 (the sandbox's answer: these ConfigMaps do not exist). */
  failed: number;
}

/** The same calls held by a bare Node HTTPS server: RSS before and with them held, MB. */
export interface HeldFloor {
  held: number;
  baselineMb: number;
  heldMb: number;
}

const BARE_HOLDER = new URL('./bare-holder.ts', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** One held call: resolves with its status code and when the response head arrived. */
function heldCall(
  port: number,
  ca: string,
  token: string,
  name: string,
  agent: Agent,
): Promise<{ status: number; at: number }> {
  return heldRequest(port, ca, token, `/clusters/sandbox/api/v1/namespaces/held/configmaps/${name}`, agent);
}

function heldRequest(
  port: number,
  ca: string,
  token: string,
  path: string,
  agent: Agent,
): Promise<{ status: number; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        ca,
        agent,
        path,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        const at = performance.now();
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, at }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function benchApprovals(counts: { latency: number; memory: number }): Promise<{
  latency: ApprovalsBenchResult;
  memory: ApprovalsBenchResult;
  floor: HeldFloor;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-bench-approvals-'));
  const keyPrefix = benchKeyPrefix();
  const sandboxToken = randomBytes(18).toString('hex');
  const sandboxPort = await freePort();
  const kubeconfig = join(dir, 'upstream.kubeconfig');
  const sandbox = await startSandboxChild({
    port: sandboxPort,
    token: sandboxToken,
    kubeconfig,
    seed: false,
  });
  const issuer = await startOidcIssuer({
    audience: BENCH_AUDIENCE,
    clients: [{ clientId: 'bench-agent', clientSecret: 'bench-secret', groups: ['ai-agents'] }],
    accessTokenTtlSeconds: 3600,
  });
  const bot = generateDecisionKeyPair();
  await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'keys', 'bot.key'), bot.privatePem, { mode: 0o600 });
  const port = await freePort();
  const metricsPort = await freePort();
  const { tlsDir, caPem: ca } = await issueGatewayTls(dir);
  const maxHeld = Math.max(counts.latency, counts.memory);
  await writeFile(
    join(dir, 'hoop.yaml'),
    benchGatewayConfig(
      { port, metricsPort, issuer: issuer.issuer, kubeconfig, tlsDir },
      {
        connections: { maxConnectionsPerSource: maxHeld + 64 },
        policy: {
          default: 'deny',
          rules: [
            {
              name: 'held-reads',
              action: 'review',
              match: { resources: ['configmaps'], namespaces: ['held'], verbs: ['get'] },
              review: { approvers: { users: [APPROVER] } },
            },
          ],
        },
        approvals: {
          keyPrefix,
          holdSeconds: 55,
          redisUrl: redisUrlFromEnv(),
          signing: { botPrivateKey: 'keys/bot.key' },
        },
      },
    ),
  );
  const gateway = await startChild(['serve', '--config', join(dir, 'hoop.yaml')], /gateway listening/, {
    ...gatewayProcess(),
    script: shippedGateway(),
  });
  const redis = new Redis(redisUrlFromEnv(), { maxRetriesPerRequest: 2 });
  const { createPrivateKey } = await import('node:crypto');
  const store = new ReviewStore({
    connection: redis,
    prefix: `${keyPrefix}:approvals`,
    readyTimeoutMs: 3000,
    signer: createDecisionSigner(createPrivateKey(bot.privatePem), 'bot'),
  });
  const token = await issuer.issueToken('bench-agent');

  /** Three rounds of the same size as one: percentiles over all their decisions. */
  const merge = (...rounds: Array<ApprovalsBenchResult & { latencies: number[] }>): ApprovalsBenchResult => {
    const all = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      held: rounds[0]!.held,
      decisions: all.length,
      p50Ms: percentile(all, 50),
      p99Ms: percentile(all, 99),
      maxMs: all.at(-1) ?? 0,
      baselineMb: rounds[0]!.baselineMb,
      peakMb: Math.max(...rounds.map((r) => r.peakMb)),
      heldSoonMb: Math.max(...rounds.map((r) => r.heldSoonMb)),
      heldMb: Math.max(...rounds.map((r) => r.heldMb)),
      afterMb: rounds.at(-1)!.afterMb,
      heapMb: { baseline: rounds[0]!.heapMb.baseline, held: Math.max(...rounds.map((r) => r.heapMb.held)) },
      failed: rounds.reduce((sum, r) => sum + r.failed, 0),
    };
  };

  /** Holds `count` calls, approves each in turn, and measures. */
  const round = async (
    count: number,
    tag: string,
    settle = 0,
  ): Promise<ApprovalsBenchResult & { latencies: number[] }> => {
    const agent = new Agent({ keepAlive: false, maxSockets: count + 8 });
    const baselineMb = (await rssKb(gateway.pid!)) / 1024;
    const baselineHeapMb = await v8HeapMb(metricsPort);
    const names = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
    const calls = new Map(names.map((name) => [name, heldCall(port, ca, token, name, agent)]));
    const pendingKey = store.keys.pending;
    const until = Date.now() + 50_000;
    let peakKb = 0;
    const sample = async () => {
      const kb = await rssKb(gateway.pid!);
      peakKb = Math.max(peakKb, kb);
      return kb;
    };
    while ((await redis.zcard(pendingKey)) < count) {
      if (Date.now() > until) throw new Error(`only ${await redis.zcard(pendingKey)} of ${count} calls held`);
      await sample();
      await sleep(100);
    }
    for (let t = 0; t < 1000; t += 100) {
      await sleep(100);
      await sample();
    }
    const heldSoonMb = (await sample()) / 1024;
    const heldMb = settle ? (await settledRssKb(gateway.pid!, settle)) / 1024 : heldSoonMb;
    const heldHeapMb = await v8HeapMb(metricsPort);
    const ids = await redis.zrange(pendingKey, '0', '-1');
    const latencies: number[] = [];
    let failed = 0;
    for (const id of ids) {
      const review = await store.get(id);
      const call = review ? calls.get(review.info.name) : undefined;
      if (!review || !call) continue;
      const decided = performance.now();
      const result = await store.decide(id, {
        approver: { id: APPROVER, groups: [] },
        action: 'approve',
        via: 'slack',
      });
      if (result.outcome !== 'applied') throw new Error(`decide ${id}: ${result.outcome}`);
      const { status, at } = await call;
      latencies.push(at - decided);
      if (status !== 404) failed += 1;
    }
    agent.destroy();
    await sleep(1000);
    const afterMb = (await rssKb(gateway.pid!)) / 1024;
    latencies.sort((a, b) => a - b);
    return {
      held: count,
      decisions: latencies.length,
      latencies,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? 0,
      baselineMb,
      peakMb: peakKb / 1024,
      heldSoonMb,
      heldMb,
      afterMb,
      heapMb: { baseline: baselineHeapMb, held: heldHeapMb },
      failed,
    };
  };

  try {
    await round(10, 'warm-up'); // the first decisions after start pay for lazy setup: not counted
    const latency = merge(
      await round(counts.latency, 'latency-1'),
      await round(counts.latency, 'latency-2'),
      await round(counts.latency, 'latency-3'),
    );
    const memory = await round(counts.memory, 'memory', 6000);
    const floor = await holdOnBareServer(counts.memory, token, tlsDir, ca);
    return { latency, memory, floor };
  } finally {
    await store.close().catch(() => undefined);
    await stopChild(gateway);
    await stopChild(sandbox);
    await issuer.close();
    await deleteKeys(`${keyPrefix}:*`);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Holds `count` calls of the same shape (same token, same certificate) on bench/bare-holder.ts. */
async function holdOnBareServer(
  count: number,
  token: string,
  tlsDir: string,
  ca: string,
): Promise<HeldFloor> {
  const port = await freePort();
  const holder = await startChild([String(port), tlsDir], /listening/, {
    ...gatewayProcess(),
    script: BARE_HOLDER,
  });
  const agent = new Agent({ keepAlive: false, maxSockets: count + 8 });
  try {
    await sleep(1000);
    const baselineMb = (await rssKb(holder.pid!)) / 1024;
    const reached = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bare holder: ${count} calls not held in 50 s`)),
        50_000,
      );
      holder.stdout!.on('data', (chunk: Buffer) => {
        if (!chunk.toString().includes(`held ${count}\n`)) return;
        clearTimeout(timer);
        resolve();
      });
    });
    for (let i = 0; i < count; i++) {
      const path = `/clusters/sandbox/api/v1/namespaces/held/configmaps/floor-${i}`;
      heldRequest(port, ca, token, path, agent).catch(() => undefined); // ended by destroying the agent
    }
    await reached;
    await sleep(1000);
    return { held: count, baselineMb, heldMb: (await settledRssKb(holder.pid!, 6000)) / 1024 }; // as the gateway's
  } finally {
    agent.destroy();
    await stopChild(holder);
  }
}

if (import.meta.main) {
  const result = await benchApprovals({ latency: 100, memory: 1000 });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
