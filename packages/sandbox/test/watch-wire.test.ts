import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Sandbox, startSandbox } from '../src/server.ts';
import { call, stream } from './api-client.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: true, watchHistoryLimit: 50, logFollowIntervalMs: 50 });
});
afterAll(async () => {
  await sandbox.close();
});

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
const path = '/api/v1/namespaces/scratch/configmaps';

interface WatchEvent {
  type: string;
  object: Record<string, unknown> & { metadata?: { name?: string; resourceVersion?: string } };
}

const parse = (line: string): WatchEvent => JSON.parse(line) as WatchEvent;

describe('watch', () => {
  it('replays changes after a resourceVersion, then streams live ones, one line per event', async () => {
    const list = await call(sandbox, 'GET', path);
    const rv = String((list.json['metadata'] as Record<string, unknown>)['resourceVersion']);
    await call(sandbox, 'POST', path, { body: { metadata: { name: 'w1' } } });
    const watch = await stream(sandbox, `${path}?watch=1&resourceVersion=${rv}`);
    expect(watch.status).toBe(200);
    expect(watch.headers['content-type']).toBe('application/json');
    expect(watch.headers['transfer-encoding']).toBe('chunked');
    const added = parse(await watch.next());
    expect([added.type, added.object.metadata?.name]).toEqual(['ADDED', 'w1']);
    await call(sandbox, 'PATCH', `${path}/w1`, {
      body: { data: { a: '1' } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const modified = parse(await watch.next());
    expect([modified.type, modified.object['data']]).toEqual(['MODIFIED', { a: '1' }]);
    await call(sandbox, 'DELETE', `${path}/w1`);
    expect(parse(await watch.next()).type).toBe('DELETED');
    watch.close();
  });

  it('starts with synthetic ADDED events without a resourceVersion and honours selectors', async () => {
    const watch = await stream(sandbox, '/api/v1/pods?watch=true&labelSelector=app%3Dledger');
    const first = parse(await watch.next());
    expect([first.type, first.object.metadata?.name]).toEqual(['ADDED', 'ledger-0']);
    await call(sandbox, 'PATCH', '/api/v1/namespaces/payments/pods/ledger-0', {
      body: { metadata: { labels: { app: 'moved' } } },
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(parse(await watch.next()).type).toBe('DELETED'); // left the selector
    await call(sandbox, 'PATCH', '/api/v1/namespaces/payments/pods/ledger-0', {
      body: { metadata: { labels: { app: 'ledger' } } },
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
    });
    expect(parse(await watch.next()).type).toBe('ADDED'); // back in
    watch.close();
  });

  it('answers a too-old resourceVersion with an ERROR event carrying 410 Expired', async () => {
    for (let i = 0; i < 60; i++)
      await call(sandbox, 'POST', path, { body: { metadata: { name: `churn-${i}` } } });
    const watch = await stream(sandbox, `${path}?watch=1&resourceVersion=1`);
    const event = parse(await watch.next());
    expect(event.type).toBe('ERROR');
    expect(event.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
    await watch.ended;
  });

  it('ends the stream after timeoutSeconds', async () => {
    const started = Date.now();
    const watch = await stream(
      sandbox,
      `${path}?watch=1&resourceVersion=${sandbox.store.resourceVersion}&timeoutSeconds=1`,
    );
    await watch.ended;
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('sends Table events (column definitions only in the first) for a Table Accept header', async () => {
    const watch = await stream(sandbox, '/api/v1/namespaces/payments/pods?watch=1', {
      headers: { Accept: TABLE },
    });
    const first = parse(await watch.next());
    expect(first.object['kind']).toBe('Table');
    expect((first.object['columnDefinitions'] as unknown[]).length).toBeGreaterThan(4);
    expect((first.object['rows'] as Array<{ cells: unknown[] }>)[0]?.cells[0]).toBe('ledger-0');
    await call(sandbox, 'PATCH', '/api/v1/namespaces/payments/pods/ledger-0', {
      body: { metadata: { annotations: { touched: 'yes' } } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    const next = parse(await watch.next());
    expect(next.type).toBe('MODIFIED');
    expect(next.object['columnDefinitions']).toEqual([]);
    watch.close();
  });

  it('supports the WatchList protocol: initial events then an initial-events-end bookmark', async () => {
    const watch = await stream(
      sandbox,
      '/api/v1/namespaces/payments/secrets?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true',
    );
    expect(parse(await watch.next()).type).toBe('ADDED');
    const bookmark = parse(await watch.next());
    expect(bookmark.type).toBe('BOOKMARK');
    expect(bookmark.object).toMatchObject({
      metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
    watch.close();
  });
});

describe('pods/log follow', () => {
  it('streams heartbeat lines until the pod is deleted', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'chatty' },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
    };
    expect((await call(sandbox, 'POST', '/api/v1/namespaces/scratch/pods', { body: pod })).status).toBe(201);
    const logs = await stream(sandbox, '/api/v1/namespaces/scratch/pods/chatty/log?follow=true&tailLines=1');
    expect(logs.headers['content-type']).toBe('text/plain');
    expect(await logs.next()).toBe('ready to serve requests');
    expect(await logs.next()).toContain('heartbeat 1');
    expect(await logs.next()).toContain('heartbeat 2');
    await call(sandbox, 'DELETE', '/api/v1/namespaces/scratch/pods/chatty');
    await logs.ended;
  });

  it('asks for a container name when the pod has several', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'duo' },
      spec: {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'y' },
        ],
      },
    };
    await call(sandbox, 'POST', '/api/v1/namespaces/scratch/pods', { body: pod });
    const refused = await call(sandbox, 'GET', '/api/v1/namespaces/scratch/pods/duo/log');
    expect(refused.json).toMatchObject({
      code: 400,
      message: 'a container name must be specified for pod duo, choose one of: [a b]',
    });
    expect(
      (await call(sandbox, 'GET', '/api/v1/namespaces/scratch/pods/duo/log?container=b')).text,
    ).toContain('starting container b');
  });
});

describe('watch over WebSocket', () => {
  const open = (query: string, protocols: string[] = []): WebSocket =>
    new WebSocket(
      `${sandbox.url.replace('https:', 'wss:')}/api/v1/namespaces/payments/secrets?${query}`,
      protocols,
      {
        ca: sandbox.caPem,
        headers: { Authorization: `Bearer ${sandbox.token}` },
      },
    );

  it('sends one text message per event, the same line the HTTP watch writes', async () => {
    const ws = open('watch=1', ['base64.binary.k8s.io']);
    const first = await new Promise<{ data: string; binary: boolean }>((resolve, reject) => {
      ws.once('message', (data: Buffer, binary: boolean) => resolve({ data: data.toString(), binary }));
      ws.once('error', reject);
    });
    expect(ws.protocol).toBe('base64.binary.k8s.io');
    expect(first.binary).toBe(false);
    expect(first.data.endsWith('}\n')).toBe(true);
    expect(parse(first.data)).toMatchObject({ type: 'ADDED', object: { kind: 'Secret' } });
    ws.close();
  });

  it('closes with 1000 when timeoutSeconds ends the watch', async () => {
    const ws = open('watch=1&timeoutSeconds=1');
    const code = await new Promise<number>((resolve) => ws.once('close', resolve));
    expect(code).toBe(1000);
  });

  it('refuses an upgrade without the token with a 401 Status', async () => {
    const ws = new WebSocket(`${sandbox.url.replace('https:', 'wss:')}/api/v1/secrets?watch=1`, {
      ca: sandbox.caPem,
    });
    const status = await new Promise<number>((resolve) =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });
});
