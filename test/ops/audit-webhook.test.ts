/**
 * The streaming audit sink end to end: a gateway stack with `audit.webhook` pointing at a loopback
 * webhook receives what kubectl does as `audit.k8s.io/v1` EventList batches (the shape
 * kube-apiserver's audit webhook posts), batched by `batchMaxSize`, retried when the webhook
 * fails, with request bodies masked at level Request, and events dropped — never queued without
 * bound — when the webhook stays down.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SEED_VALUES } from '@hoop-gateway/sandbox/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_POLICY } from '../e2e/policy.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';

interface EventList {
  kind: string;
  apiVersion: string;
  items: Array<{
    level: string;
    auditID: string;
    stage: string;
    verb: string;
    requestURI: string;
    user: { username: string; groups?: string[] };
    impersonatedUser?: { username: string; groups?: string[] };
    objectRef?: { resource?: string; namespace?: string; name?: string };
    responseStatus?: { code: number };
    requestObject?: unknown;
    annotations: Record<string, string>;
  }>;
}

/** A webhook that records every body it accepts and fails the first `failFirst` posts with 500. */
async function startWebhook(
  failFirst = 0,
): Promise<{ server: Server; url: string; bodies: string[]; attempts: () => number }> {
  const bodies: string[] = [];
  let attempts = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      attempts++;
      if (attempts <= failFirst) {
        res.writeHead(500).end();
        return;
      }
      bodies.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/audit`, bodies, attempts: () => attempts };
}

async function until<T>(read: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out waiting for the webhook');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithKubectl(['1.33'], 'audit webhook', () => {
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let stack: Stack;

  beforeAll(async () => {
    // The first post fails: the sink must retry it.
    webhook = await startWebhook(1);
    stack = await startStack({
      policy: E2E_POLICY,
      config: {
        audit: { webhook: { url: webhook.url, batchMaxSize: 2, batchMaxWaitMs: 200, level: 'Request' } },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((resolve) => webhook?.server.close(resolve));
  });

  it('posts EventList batches of at most batchMaxSize, retried after a failure, as kube-apiserver would', async () => {
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const value = `audit-${Date.now()}-value`;
    const create = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['-n', 'scratch', 'create', 'secret', 'generic', 'audited', `--from-literal=password=${value}`],
    });
    expect(create.code, create.stderr).toBe(0);
    const denied = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['delete', 'namespace', 'payments'],
    });
    expect(denied.code).not.toBe(0);

    const lists = await until(() => {
      const parsed = webhook.bodies.map((body) => JSON.parse(body) as EventList);
      const items = parsed.flatMap((list) => list.items);
      const done =
        items.some((i) => i.verb === 'create' && i.objectRef?.resource === 'secrets') &&
        items.some((i) => i.verb === 'delete' && i.objectRef?.resource === 'namespaces');
      return done ? parsed : undefined;
    });
    // The first attempt was refused with a 500 and nothing was lost.
    expect(webhook.attempts()).toBeGreaterThan(webhook.bodies.length);
    for (const list of lists) {
      expect(list).toMatchObject({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1' });
      expect(list.items.length).toBeGreaterThan(0);
      expect(list.items.length).toBeLessThanOrEqual(2);
    }
    const items = lists.flatMap((list) => list.items);
    const created = items.find((i) => i.verb === 'create' && i.objectRef?.resource === 'secrets');
    expect(created).toMatchObject({
      level: 'Request',
      stage: 'ResponseComplete',
      objectRef: { namespace: 'scratch', resource: 'secrets' },
      responseStatus: { code: 201 },
      annotations: { 'hoop.dev/decision': 'allow', 'hoop.dev/cluster': 'sandbox' },
    });
    expect(created?.impersonatedUser?.username).toBe('hoop:agent-1');
    const refused = items.find((i) => i.verb === 'delete' && i.objectRef?.resource === 'namespaces');
    expect(refused).toMatchObject({
      responseStatus: { code: 403 },
      annotations: { 'hoop.dev/decision': 'deny', 'hoop.dev/rule': 'no-namespace-delete' },
    });
    // Every audit id is unique, and no secret value (created or seeded) left the gateway.
    expect(new Set(items.map((i) => i.auditID)).size).toBe(items.length);
    const everything = webhook.bodies.join('\n');
    for (const secret of [value, SEED_VALUES.ledgerDbPassword, SEED_VALUES.ledgerApiKey]) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });
});

describe('audit webhook that stays down', () => {
  let stack: Stack;
  let dead: Server;
  let deadUrl: string;

  beforeAll(async () => {
    // A webhook that always fails: the sink retries, then drops; the buffer stays bounded.
    dead = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(503).end());
    });
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/audit`;
    stack = await startStack({
      policy: E2E_POLICY,
      config: { audit: { webhook: { url: deadUrl, batchMaxSize: 1, batchMaxWaitMs: 10, bufferSize: 1 } } },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await new Promise((resolve) => dead?.close(resolve));
  });

  it('drops what it cannot deliver, says so in the log, and requests keep being answered', async () => {
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    for (let i = 0; i < 5; i++) {
      const run = await runKubectl({
        kubeconfig,
        version: '1.33',
        args: ['-n', 'scratch', 'get', 'configmaps'],
      });
      expect(run.code, run.stderr).toBe(0);
    }
    await until(() =>
      stack.logLines.some((line) => /audit: \d+ event\(s\) dropped/.test(line)) ? true : undefined,
    );
  });
});
