/**
 * Watches to a cluster that speaks HTTP/2 (the sandbox offering `h2` beside HTTP/1.1, as
 * kube-apiserver does) go upstream as streams on shared connections
 * (gateway/upstream/credentials/watch-sessions.ts). Observed from both ends: each watch is an
 * HTTP/2 request upstream with every impersonated group a field of its own, many watches share
 * one connection, events stream while the watch is open, a client leaving ends its stream
 * upstream, and a cluster dropping the connection ends the client's watch (the client then
 * watches again, on a new connection). A cluster without h2 is covered by streaming.test.ts.
 */

import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { expect, it } from 'vitest';
import { startStack } from '../support/stack.ts';
import { eventually, type OpenStream } from './helpers.ts';
import { E2E_POLICY } from './policy.ts';
import { streamingSuite } from './streaming-suite.ts';

const CONFIGMAPS = '/clusters/sandbox/api/v1/namespaces/scratch/configmaps';
const TWO_GROUPS = {
  clientId: 'two-groups',
  clientSecret: 'two-groups-secret-value',
  groups: ['ai-agents', 'readers'],
};

const suite = streamingSuite(
  () => startStack({ policy: E2E_POLICY, http2: true, extraAgents: [TWO_GROUPS] }),
  TWO_GROUPS.clientId,
);

it('a watch goes upstream as an HTTP/2 stream with each group a field of its own, and streams events', async () => {
  const before = suite.stack.sandbox.requests.length;
  const watch = await suite.open(`${CONFIGMAPS}?watch=1`);
  await watch.waitForLine(/"type":"ADDED".*"name":"notes"/);
  const [upstream] = suite.stack.sandbox.requests.slice(before).filter((r) => r.query.includes('watch'));
  expect(upstream?.httpVersion).toBe('2.0');
  expect(upstream?.headers.impersonateUser).toBe(`hoop:${TWO_GROUPS.clientId}`);
  expect(upstream?.headers.impersonateGroups).toEqual(expect.arrayContaining(['ai-agents', 'readers']));
  expect(upstream?.headers.impersonateGroups.filter((g) => g.includes(','))).toEqual([]);
  expect(upstream?.headers.authorization).toBe('valid');

  suite.stack.sandbox.store.create(
    'configmaps',
    prepareCreate(resourceTypeNamed('configmaps'), 'scratch', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'over-h2' },
      data: { n: '1' },
    }),
  );
  await watch.waitForLine(/"type":"ADDED".*"name":"over-h2"/);
  expect(watch.ended()).toBe(false);
  watch.req.destroy();
});

it('many watches share one connection, and each client leaving ends its stream upstream', async () => {
  const watches: OpenStream[] = [];
  watches.push(await suite.open(`${CONFIGMAPS}?watch=1`));
  await eventually(() => suite.liveWatches() === 1, 'the first watch upstream');
  const connections = suite.stack.sandbox.openConnections();
  for (let i = 0; i < 9; i++) watches.push(await suite.open(`${CONFIGMAPS}?watch=1`));
  await eventually(() => suite.liveWatches() === 10, 'ten watches upstream');
  expect(suite.stack.sandbox.openConnections()).toBe(connections);

  watches[0]!.req.destroy();
  await eventually(() => suite.liveWatches() === 9, 'the first watch to end upstream');
  for (const watch of watches.slice(1)) watch.req.destroy();
  await eventually(() => suite.liveWatches() === 0, 'every watch to end upstream');
});

it('a cluster dropping its connections ends the watches, and the next watch opens a new one', async () => {
  const watch = await suite.open(`${CONFIGMAPS}?watch=1`);
  await watch.waitForLine(/"name":"notes"/);
  suite.stack.sandbox.dropConnections();
  await eventually(() => watch.ended(), 'the client watch to end', 5_000);

  const again = await suite.open(`${CONFIGMAPS}?watch=1`);
  await again.waitForLine(/"name":"notes"/);
  expect(suite.stack.sandbox.requests.at(-1)?.httpVersion).toBe('2.0');
  again.req.destroy();
});
