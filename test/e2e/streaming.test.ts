/**
 * Streaming through the gateway, observed from both ends: watch events and followed log lines
 * must reach the client while the response is still open (the gateway relays chunk by chunk,
 * never buffering to the end), and teardown must go both ways: a client that goes away ends the
 * sandbox's watch (its store subscription is released), and a watch the sandbox ends
 * (`timeoutSeconds`) ends the client's response.
 */

import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { describe, expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { eventually, expectForwardedAs, sleep } from './helpers.ts';
import { E2E_POLICY } from './policy.ts';
import { streamingSuite } from './streaming-suite.ts';

const CONFIGMAPS = '/clusters/sandbox/api/v1/namespaces/scratch/configmaps';

const suite = streamingSuite(() => startStack({ policy: E2E_POLICY }), 'agent-1');

function createConfigMap(name: string, data: Record<string, string>): void {
  suite.stack.sandbox.store.create(
    'configmaps',
    prepareCreate(resourceTypeNamed('configmaps'), 'scratch', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'scratch' },
      data,
    }),
  );
}

describe('watch', () => {
  it('events written after the watch started arrive while it is still open', async () => {
    const before = suite.stack.sandbox.requests.length;
    const watch = await suite.open(`${CONFIGMAPS}?watch=1`);
    await watch.waitForLine(/"type":"ADDED".*"name":"notes"/);
    await eventually(() => suite.liveWatches() === 1, 'the sandbox watch to start');

    createConfigMap('streamed-1', { n: '1' });
    const added = JSON.parse(await watch.waitForLine(/"name":"streamed-1"/)) as { type: string };
    expect(added.type).toBe('ADDED');
    expect(watch.ended()).toBe(false);

    const object = suite.stack.sandbox.store.get('configmaps', 'scratch', 'streamed-1');
    if (!object) throw new Error('streamed-1 vanished');
    suite.stack.sandbox.store.replace('configmaps', { ...object, data: { n: '2' } });
    const modified = JSON.parse(await watch.waitForLine(/"type":"MODIFIED".*"name":"streamed-1"/)) as {
      object: { data: Record<string, string> };
    };
    expect(modified.object.data).toEqual({ n: '2' });

    suite.stack.sandbox.store.delete('configmaps', 'scratch', 'streamed-1');
    await watch.waitForLine(/"type":"DELETED".*"name":"streamed-1"/);
    expect(watch.ended()).toBe(false);
    expectForwardedAs(suite.stack.sandbox.requests.slice(before), 'agent-1', ['ai-agents'], suite.token);
    watch.req.destroy();
  });

  it('a client that goes away mid-watch ends the upstream watch', async () => {
    const watch = await suite.open(`${CONFIGMAPS}?watch=1`);
    await watch.waitForLine(/"name":"notes"/);
    await eventually(() => suite.liveWatches() === 1, 'the sandbox watch to start');

    watch.req.destroy();
    await eventually(
      () => suite.liveWatches() === 0,
      'the sandbox watch to be released after the client left',
    );
    // The gateway logged the watch once, when it ended.
    await eventually(
      () =>
        suite.stack.logLines.some(
          (l) => l.includes('"verb":"watch"') && l.includes('"resource":"configmaps"'),
        ),
      'the watch log line',
    );
  });

  it('a watch the sandbox ends (timeoutSeconds) ends the client response cleanly', async () => {
    const watch = await suite.open(`${CONFIGMAPS}?watch=1&timeoutSeconds=1`);
    await watch.waitForLine(/"name":"notes"/);
    expect(watch.ended()).toBe(false);
    await eventually(() => watch.ended(), 'the client response to end', 5_000);
    expect(watch.res.complete).toBe(true);
    expect(suite.liveWatches()).toBe(0);
  });
});

describe('logs -f', () => {
  it('lines arrive one by one while the stream is open; leaving ends it upstream too', async () => {
    // The sandbox writes one heartbeat per 200 ms while a follower is connected.
    let heartbeats = 0;
    const book = suite.stack.sandbox.logs;
    const heartbeat = book.heartbeat.bind(book);
    book.heartbeat = (container, n) => {
      heartbeats++;
      return heartbeat(container, n);
    };
    const logs = await suite.open(
      '/clusters/sandbox/api/v1/namespaces/payments/pods/ledger-0/log?follow=true',
    );
    await logs.waitForLine(/^ledger: listening on :9090$/);
    await logs.waitForLine(/heartbeat 1, all systems nominal/);
    await logs.waitForLine(/heartbeat 2, all systems nominal/);
    expect(logs.ended()).toBe(false);
    // The initial lines came first, then each heartbeat as the sandbox wrote it.
    expect(logs.lines.slice(0, 5)).toEqual([
      'ledger: booting settlement engine 2.4.1',
      'ledger: loaded 1,204 pending transfers',
      'ledger: settlement window 24h, currency EUR',
      'ledger: listening on :9090',
      'ledger: heartbeat 1, all systems nominal',
    ]);

    logs.req.destroy();
    // Once the gateway has dropped the upstream response, the sandbox stops writing heartbeats:
    // within a few seconds there must be a quiet spell of four intervals.
    const deadline = Date.now() + 5_000;
    let quiet = false;
    while (!quiet && Date.now() < deadline) {
      const seen = heartbeats;
      await sleep(800);
      quiet = heartbeats === seen;
    }
    expect(quiet).toBe(true);
  });
});
