/**
 * Clients that speak HTTP/2 to the gateway, as kubectl and client-go do (server.ts offers h2
 * beside HTTP/1.1, as kube-apiserver does): kubectl's requests arrive as HTTP/2, many watches
 * share one connection, and the limits HTTP/1.1 has hold for HTTP/2 too — every open stream
 * counts against the per-source cap (a stream over it gets a 429 Status), a connection with no
 * open stream closes after the idle timeout (an open watch is not cut), one that never sends a
 * request closes after the header timeout, and a request body that stops arriving is reset after
 * the request timeout without reaching the cluster.
 */
import { once } from 'node:events';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { countLiveWatches, eventually, kubectlHttpVersions, sleep } from './helpers.ts';
import { E2E_POLICY } from './policy.ts';

const PER_SOURCE = 8;
const IDLE_MS = 1000;
const HEADER_MS = 1500;
const REQUEST_MS = 1500;
const CONFIGMAPS = '/clusters/sandbox/api/v1/namespaces/scratch/configmaps';

let stack: Stack;
let token: string;
let liveWatches: () => number;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  stack = await startStack({
    policy: E2E_POLICY,
    config: {
      connections: {
        maxConnectionsPerSource: PER_SOURCE,
        idleTimeout: `${IDLE_MS}ms`,
        headerTimeout: `${HEADER_MS}ms`,
        requestTimeout: `${REQUEST_MS}ms`,
      },
    },
  });
  token = await stack.issuer.issueToken('agent-1');
  liveWatches = countLiveWatches(stack);
});
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await eventually(() => liveWatches() === 0, 'every watch of the test ended upstream');
});
afterAll(async () => {
  await stack?.close();
});

function session(): ClientHttp2Session {
  const client = connect(stack.gateway.url, { ca: stack.gateway.caPem });
  client.on('error', () => {});
  sessions.push(client);
  return client;
}

/** A request on `client`; resolves with the response head and a reader of the body so far. */
async function send(
  client: ClientHttp2Session,
  path: string,
  options: { method?: string; body?: string } = {},
): Promise<{
  stream: ClientHttp2Stream;
  head: IncomingHttpHeaders;
  body: () => string;
  ended: Promise<void>;
}> {
  const stream = client.request(
    { ':method': options.method ?? 'GET', ':path': path, authorization: `Bearer ${token}` },
    { endStream: options.body === undefined },
  );
  if (options.body !== undefined) stream.end(options.body);
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  stream.on('error', () => {});
  const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  const [head] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  return { stream, head, body: () => text, ended };
}

const createConfigMap = (name: string) =>
  stack.sandbox.store.create(
    'configmaps',
    prepareCreate(resourceTypeNamed('configmaps'), 'scratch', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name },
      data: { n: '1' },
    }),
  );

it('kubectl sends its requests to the gateway over HTTP/2', async () => {
  expect(await kubectlHttpVersions(stack)).toEqual(new Set(['2.0']));
});

it('watches share one connection; a stream over the per-source cap gets a 429 Status until one ends', async () => {
  const client = session();
  // The connection counts as one, each open stream as one more.
  const watches = [];
  for (let i = 0; i < PER_SOURCE - 1; i++) {
    const watch = await send(client, `${CONFIGMAPS}?watch=1`);
    expect(watch.head[':status']).toBe(200);
    watches.push(watch);
  }
  await eventually(() => liveWatches() === PER_SOURCE - 1, 'every watch open upstream');

  const refused = await send(client, CONFIGMAPS);
  await refused.ended;
  expect(refused.head[':status']).toBe(429);
  expect(refused.head['retry-after']).toBe('1');
  expect(JSON.parse(refused.body())).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });

  createConfigMap('seen-by-all-watches');
  for (const watch of watches)
    await eventually(() => watch.body().includes('seen-by-all-watches'), 'the event');

  // The client resetting a watch's stream ends that watch upstream.
  watches[0]!.stream.close();
  await watches[0]!.ended;
  await eventually(() => liveWatches() === PER_SOURCE - 2, 'the reset watch ended upstream');
  const list = await send(client, CONFIGMAPS);
  await list.ended;
  expect(list.head[':status']).toBe(200);
  expect(JSON.parse(list.body())).toMatchObject({ kind: 'ConfigMapList' });
});

it('a connection without open streams closes after the idle timeout; an open watch outlives it', async () => {
  const client = session();
  const closed = once(client, 'close');
  const watch = await send(client, `${CONFIGMAPS}?watch=1`);
  expect(watch.head[':status']).toBe(200);
  await sleep(IDLE_MS * 2.5);
  expect(client.closed || client.destroyed).toBe(false);
  createConfigMap('after-the-idle-timeout');
  await eventually(() => watch.body().includes('after-the-idle-timeout'), 'the event on the old watch');

  watch.stream.close();
  const started = Date.now();
  await closed;
  expect(Date.now() - started).toBeLessThan(IDLE_MS + 3000);
});

it('a connection that never sends a request closes after the header timeout', async () => {
  const client = session();
  await once(client, 'connect');
  const started = Date.now();
  await once(client, 'close');
  expect(Date.now() - started).toBeLessThan(HEADER_MS + 3000);
});

it('a request body that stops arriving is reset after the request timeout and never reaches the cluster', async () => {
  const client = session();
  const before = stack.sandbox.requests.length;
  const stream = client.request(
    {
      ':method': 'POST',
      ':path': CONFIGMAPS,
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    },
    { endStream: false },
  );
  stream.on('error', () => {});
  stream.write('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"slow"');
  const started = Date.now();
  await once(stream, 'close');
  expect(Date.now() - started).toBeLessThan(REQUEST_MS + 3000);
  expect(stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
  expect(stack.sandbox.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([]);
});

it('impersonation a client asks for itself is refused over HTTP/2 too, and nothing reaches the cluster', async () => {
  const client = session();
  const ask = async (extra: Record<string, string>) => {
    const stream = client.request({
      ':path': '/clusters/sandbox/api/v1/namespaces/default/configmaps',
      authorization: `Bearer ${token}`,
      ...extra,
    });
    stream.resume();
    const [head] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    await once(stream, 'close');
    return head[':status'];
  };
  const before = stack.sandbox.requests.length;
  // Impersonation asked by the caller is refused outright, as over HTTP/1.1.
  expect(await ask({ 'impersonate-user': 'system:admin', 'impersonate-group': 'system:masters' })).toBe(403);
  expect(stack.sandbox.requests.length).toBe(before);
  // (Fields the cluster could read as identity are dropped: test/security/http2-request-fields.test.ts.)
  expect(await ask({})).toBe(200);
  expect(stack.sandbox.requests.slice(before).map((r) => r.headers.impersonateUser)).toEqual([
    'hoop:agent-1',
  ]);
});

// Last: it shuts the gateway down.
it('a shutdown ends an HTTP/2 watch cleanly and sends the connection GOAWAY', async () => {
  const client = session();
  const goaway = once(client, 'goaway');
  const watch = await send(client, `${CONFIGMAPS}?watch=1`);
  expect(watch.head[':status']).toBe(200);
  let ended = false;
  watch.stream.once('end', () => {
    ended = true;
  });
  await stack.gateway.close(3000);
  await goaway;
  await watch.ended;
  expect(ended).toBe(true);
  expect(watch.stream.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
});
