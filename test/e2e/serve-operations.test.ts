/**
 * `hoop-gateway serve` as operators run it: a child process with a config file on free ports, a
 * sandbox cluster, a real OIDC issuer and a throwaway redis-server that the test kills. Checks the
 * metrics listener, readiness following Redis, a policy reload that keeps an open watch, and a
 * SIGTERM with a watch and an exec open and Redis down that exits within the grace period.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { type ClientHttp2Session, connect as connectHttp2 } from 'node:http2';
import { request } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { stringify } from 'yaml';
import { freePort } from '../support/free-port.ts';
import { type ServeProcess, spawnServe } from '../support/serve-process.ts';
import { type ServeStack, startServeStack } from '../support/serve-stack.ts';
import { type ThrowawayRedis, throwawayRedis } from '../support/throwaway-redis.ts';

const GRACE_MS = 4000;

const policy = (configmaps: 'allow' | 'deny') => ({
  default: 'deny',
  rules: [
    ...(configmaps === 'deny'
      ? [{ name: 'no-configmap-gets', action: 'deny', match: { resources: ['configmaps'], verbs: ['get'] } }]
      : []),
    { name: 'agents', action: 'allow', match: { groups: ['ai-agents'] } },
  ],
});

let stack: ServeStack;
let dir: string;
let redis: ThrowawayRedis;
let gatewayUrl: string;
let metricsUrl: string;
let token: string;
let gateway: ServeProcess;

function get(path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gatewayUrl}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** A chunked watch that stays open; `ended` resolves when the response ends cleanly. */
function openWatch(): Promise<{ events: () => number; ended: Promise<'end' | 'error'> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gatewayUrl}/clusters/sandbox/api/v1/namespaces/default/configmaps?watch=true`, {
      headers: { authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    req.once('response', (res) => {
      let lines = 0;
      res.on('data', (c: Buffer) => {
        lines += c.toString().split('\n').filter(Boolean).length;
      });
      const ended = new Promise<'end' | 'error'>((done) => {
        res.once('end', () => done('end'));
        res.once('error', () => done('error'));
      });
      resolve({ events: () => lines, ended });
    });
    req.once('error', reject);
    req.end();
  });
}

async function until(check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check().catch(() => false)) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

const readyStatus = async () => (await fetch(`${metricsUrl}/readyz`)).status;

beforeAll(async () => {
  redis = await throwawayRedis();
  await redis.start();
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  stack = await startServeStack({
    files: { 'policy.yaml': stringify(policy('allow')) },
    config: {
      policyFile: 'policy.yaml',
      approvals: { redisUrl: redis.url },
      recording: { redisUrl: redis.url },
      metrics: { listen: { host: '127.0.0.1', port: metricsPort } },
      shutdown: { gracePeriod: `${GRACE_MS / 1000}s` },
    },
  });
  ({ dir, gateway, url: gatewayUrl, token } = stack);
  await until(async () => (await readyStatus()) === 200, 20_000);
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

describe('serve, operated', () => {
  it('answers with a request id and exposes every metric family after a few requests', async () => {
    const list = await get('/clusters/sandbox/api/v1/namespaces/default/configmaps');
    expect(list.status).toBe(200);
    expect(list.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await get('/clusters/sandbox/api/v1/namespaces/payments/secrets')).status).toBe(200);
    expect((await get('/clusters/sandbox/api/v1/namespaces/default/pods/nope')).status).toBe(404);
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    for (const family of [
      'hoop_requests_total',
      'hoop_request_duration_seconds',
      'hoop_upstream_response_seconds',
      'hoop_open_streams',
      'hoop_reviews_created_total',
      'hoop_reviews_decided_total',
      'hoop_review_decision_seconds',
      'hoop_reviews_pending',
      'hoop_notify_queue_jobs',
      'hoop_masked_values_total',
      'hoop_masking_fail_closed_total',
      'hoop_recording_append_seconds',
      'hoop_recording_append_failures_total',
      'hoop_redis_up',
      'hoop_issuers_ready',
      'hoop_audit_events_total',
      'hoop_idle_collections_total',
      'hoop_process_cpu_user_seconds_total',
    ]) {
      expect(text, family).toContain(`# TYPE ${family} `);
    }
    expect(text).toMatch(
      /hoop_requests_total\{cluster="sandbox",verb="list",resource="configmaps",decision="allow",code="200"\} [1-9]/,
    );
    expect(text).toMatch(/hoop_masked_values_total [1-9]/);
    expect(text).toMatch(/hoop_recording_append_seconds_count [1-9]/);
    // Bounded labels: no names, no users, no tokens.
    expect(text).not.toContain('agent-1');
    expect(text).not.toContain('resource="pods/nope"');
    // Log lines are written in batches, each at most 100 ms after the request (cli/log.ts).
    await until(async () => gateway.output().includes('"requestId"'), 5_000);
    expect(gateway.output()).not.toContain(token);
  });

  it('takes a policy edit without a restart and without dropping an open watch', async () => {
    const watch = await openWatch();
    expect((await get('/clusters/sandbox/api/v1/namespaces/default/configmaps/web-config')).status).toBe(200);
    await writeFile(join(dir, 'policy.yaml'), stringify(policy('deny')));
    await until(
      async () =>
        (await get('/clusters/sandbox/api/v1/namespaces/default/configmaps/web-config')).status === 403,
      10_000,
    );
    // A broken file is refused and the running policy stays.
    await writeFile(join(dir, 'policy.yaml'), 'rules: [ {');
    await until(async () => gateway.output().includes('configuration reload refused'), 10_000);
    expect((await get('/clusters/sandbox/api/v1/namespaces/default/configmaps/web-config')).status).toBe(403);
    const settled = await Promise.race([watch.ended, new Promise((r) => setTimeout(() => r('open'), 300))]);
    expect(settled).toBe('open');
    await writeFile(join(dir, 'policy.yaml'), stringify(policy('allow')));
    await until(
      async () =>
        (await get('/clusters/sandbox/api/v1/namespaces/default/configmaps/web-config')).status === 200,
      10_000,
    );
  }, 40_000);

  /** Full collections the idle collector ran so far (hoop_idle_collections_total). */
  const collections = async () =>
    Number(
      /^hoop_idle_collections_total (\d+)/m.exec(await (await fetch(`${metricsUrl}/metrics`)).text())?.[1],
    );

  /** 120 watches over HTTP/2 (two connections, as client-go would open them), answered 200. */
  async function openWatches(): Promise<{ sessions: ClientHttp2Session[]; ended: () => number }> {
    const sessions = [0, 1].map(() => connectHttp2(gatewayUrl, { rejectUnauthorized: false }));
    let ended = 0;
    const watches = sessions.flatMap((session) =>
      Array.from({ length: 60 }, () => {
        const stream = session.request({
          ':path': '/clusters/sandbox/api/v1/namespaces/default/configmaps?watch=true',
          authorization: `Bearer ${token}`,
        });
        stream.resume();
        stream.on('close', () => ended++);
        return once(stream, 'response') as Promise<[Record<string, unknown>]>;
      }),
    );
    for (const [head] of await Promise.all(watches)) expect(head[':status']).toBe(200);
    return { sessions, ended: () => ended };
  }

  it('gives memory back once a burst of long-lived requests is over: one full collection (hoop_idle_collections_total)', async () => {
    const before = await collections();
    // Open for over a second: long-lived, so they count; then all closed at once, before their
    // arrival has settled.
    const { sessions } = await openWatches();
    await sleep(1_200);
    expect(await collections()).toBe(before);
    for (const session of sessions) session.destroy();
    await until(async () => (await collections()) === before + 1, 10_000);
    // One burst, one collection.
    await sleep(3_000);
    expect(await collections()).toBe(before + 1);
  }, 30_000);

  it('collects what a burst of long-lived requests left behind on arrival, once, while they stay open', async () => {
    const before = await collections();
    const { sessions, ended } = await openWatches();
    await until(async () => (await collections()) === before + 1, 10_000);
    expect(ended()).toBe(0); // the watches were not touched: still open
    await sleep(3_000);
    expect(await collections()).toBe(before + 1);
    // Their end is a burst of its own, collected once spacingMs (5 s) after the first.
    for (const session of sessions) session.destroy();
    await until(async () => (await collections()) === before + 2, 12_000);
  }, 40_000);

  it('/readyz turns 503 within 2 s of Redis going away, and 200 once it is back', async () => {
    expect(await readyStatus()).toBe(200);
    await redis.stop();
    expect(await until(async () => (await readyStatus()) === 503, 2000)).toBeLessThan(2000);
    expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toMatch(
      /hoop_redis_up\{connection="approvals"\} 0/,
    );
    await redis.start();
    await until(async () => (await readyStatus()) === 200, 10_000);
  }, 30_000);

  it('a part that cannot start after the gateway did (metrics port taken) stops the process: exit 1, one line', async () => {
    // The same configuration again: the gateway listens (port 0), then the metrics port is the
    // first process's. Without stopping what started, the gateway would keep serving, unmanaged.
    const second = spawnServe(['--config', join(dir, 'hoop.yaml')]);
    const exit = once(second.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const outcome = await Promise.race([exit, sleep(20_000).then(() => 'still running' as const)]);
    if (outcome === 'still running') second.child.kill('SIGKILL');
    expect(outcome).toEqual([1, null]);
    expect(second.output()).toContain('"msg":"gateway listening"');
    expect(second.output()).toMatch(/^hoop-gateway: .*EADDRINUSE/m);
    expect(second.output()).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('SIGTERM with a watch and an exec open and Redis down: clean ends, exit within the grace period', async () => {
    const watch = await openWatch();
    const ws = new WebSocket(
      `${gatewayUrl.replace('https', 'wss')}/clusters/sandbox/api/v1/namespaces/payments/pods/ledger-0/exec?command=cat&stdin=true&stdout=true`,
      ['v5.channel.k8s.io'],
      { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false },
    );
    await once(ws, 'open');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await redis.stop();
    const started = Date.now();
    const exited = once(gateway.child, 'exit');
    gateway.child.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await watch.ended).toBe('end');
    await exited;
    expect(Date.now() - started).toBeLessThan(GRACE_MS + 1000);
    expect(gateway.output()).toContain('"msg":"stopped"');
    expect(gateway.output()).not.toMatch(/"stack":/);
  }, 30_000);
});
