/**
 * The watch dispatcher's sessions against a real Node HTTP/2 server: it opens no more streams on
 * a session than the server allows (a watch over the limit gets a session of its own, it is not
 * queued behind watches that may last for hours), a session the server sent GOAWAY keeps its open
 * streams but takes no new one, a session left without streams closes at once when another has
 * room and after the idle time otherwise, and a server without h2 gets its watches through the
 * fallback. Each request is a real UpstreamExchange reading a real response.
 */

import type { IncomingHttpHeaders } from 'node:http2';
import {
  createSecureServer,
  type Http2SecureServer,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { type WatchDispatcher, watchSessions } from '../../gateway/upstream/credentials/watch-sessions.ts';
import { UpstreamExchange } from '../../gateway/upstream/upstream-exchange.ts';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificate-issuer.ts';

let tls: { cert: string; key: string; ca: string };
const cleanup: Array<() => void> = [];

beforeAll(async () => {
  const ca = await createCertificateAuthority('watch-sessions test CA');
  const serving = await issueServingCertificate(ca, ['127.0.0.1', 'localhost']);
  tls = { cert: serving.certPem, key: serving.keyPem, ca: ca.certPem };
});
afterEach(() => {
  for (const undo of cleanup.splice(0)) undo();
});

/** An HTTP/2 server whose every request is a watch: headers, one line, then it stays open. */
async function watchServer(settings: { maxConcurrentStreams?: number } = {}) {
  const sessions: ServerHttp2Session[] = [];
  const streams: ServerHttp2Stream[] = [];
  /** Each request's header fields as received, name and value alternating. */
  const rawHeaders: string[][] = [];
  const server: Http2SecureServer = createSecureServer({ cert: tls.cert, key: tls.key, settings });
  server.on('session', (session) => sessions.push(session));
  server.on(
    'stream',
    (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, _flags: number, raw: string[]) => {
      streams.push(stream);
      rawHeaders.push(raw);
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.write(`${JSON.stringify({ type: 'ADDED', path: headers[':path'] })}\n`);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  cleanup.push(() => {
    for (const session of sessions) session.destroy();
    server.close();
  });
  return { origin, sessions, streams, rawHeaders };
}

const NO_FALLBACK: Pick<Dispatcher, 'dispatch'> = {
  dispatch: () => {
    throw new Error('the fallback was used');
  },
};

function dispatcher(origin: URL, fallback = NO_FALLBACK, idleMs = 30_000): WatchDispatcher {
  const watches = watchSessions(origin, { ca: tls.ca }, fallback, { connectTimeoutMs: 5000, idleMs });
  cleanup.push(() => watches.close());
  return watches;
}

/** Starts a watch; resolves with its exchange once its first line arrived. */
async function watch(
  watches: WatchDispatcher,
  path: string,
): Promise<{ exchange: UpstreamExchange; first: string }> {
  const exchange = new UpstreamExchange();
  watches.dispatch({ path, method: 'GET', headers: { 'impersonate-group': ['a', 'b'] } }, exchange);
  const head = await exchange.head;
  expect(head.statusCode).toBe(200);
  const first = await new Promise<string>((resolve, reject) => {
    exchange.sendBodyTo({
      write: (chunk) => {
        resolve(chunk.toString());
        return true;
      },
      end: () => reject(new Error('ended')),
      fail: reject,
    });
  });
  return { exchange, first };
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

it('opens no more streams on a session than the server allows', async () => {
  const server = await watchServer({ maxConcurrentStreams: 2 });
  const watches = dispatcher(server.origin);
  const first = await watch(watches, '/w/1');
  expect(first.first).toContain('/w/1');
  await watch(watches, '/w/2');
  await watch(watches, '/w/3'); // over the limit of 2: a session of its own, not queued
  expect(server.streams).toHaveLength(3);
  expect(server.sessions).toHaveLength(2);
});

it('sends each value of a repeated header as a field of its own', async () => {
  const server = await watchServer();
  await watch(dispatcher(server.origin), '/w/groups');
  const raw = server.rawHeaders[0]!;
  const groups = raw.filter((_, i) => i % 2 === 1 && raw[i - 1] === 'impersonate-group');
  expect(groups).toEqual(['a', 'b']);
});

it('takes no new stream on a session the server sent GOAWAY, and keeps its open ones', async () => {
  const server = await watchServer();
  const watches = dispatcher(server.origin);
  const open = await watch(watches, '/w/before');
  server.sessions[0]!.goaway(0, 2 ** 31 - 1); // graceful: streams up to any id may finish
  await new Promise((r) => setTimeout(r, 100));
  await watch(watches, '/w/after');
  expect(server.sessions).toHaveLength(2);
  // The first watch is still open and still delivers.
  const more = new Promise<string>((resolve) => {
    open.exchange.sendBodyTo({
      write: (chunk) => {
        resolve(chunk.toString());
        return true;
      },
      end: () => undefined,
      fail: () => undefined,
    });
  });
  server.streams[0]!.write('{"type":"MODIFIED"}\n');
  expect(await more).toContain('MODIFIED');
});

it('closes a session once it has had no stream for the idle time', async () => {
  const server = await watchServer();
  const watches = dispatcher(server.origin, NO_FALLBACK, 200);
  const open = await watch(watches, '/w/idle');
  open.exchange.abort(new Error('the client went away'));
  await until(() => server.sessions[0]!.closed || server.sessions[0]!.destroyed, 'the idle session to close');
});

it('closes a session left without streams at once when another session has room', async () => {
  const server = await watchServer({ maxConcurrentStreams: 2 });
  const watches = dispatcher(server.origin); // idle time 30 s: only the new rule closes it here
  const first = await watch(watches, '/w/1');
  await watch(watches, '/w/2');
  const third = await watch(watches, '/w/3'); // the second session's only stream
  expect(server.sessions).toHaveLength(2);
  first.exchange.abort(new Error('the client went away')); // the first session has room again
  await until(() => server.streams[0]!.closed, 'the first watch to end');
  third.exchange.abort(new Error('the client went away'));
  await until(
    () => server.sessions[1]!.closed || server.sessions[1]!.destroyed,
    'the spare session to close',
  );
  expect(server.sessions[0]!.closed).toBe(false);
  await watch(watches, '/w/4'); // onto the first session's free stream, no new connection
  expect(server.sessions).toHaveLength(2);
});

it('keeps a session left without streams while every other session is full', async () => {
  const server = await watchServer({ maxConcurrentStreams: 2 });
  const watches = dispatcher(server.origin);
  await watch(watches, '/w/1');
  await watch(watches, '/w/2');
  const third = await watch(watches, '/w/3');
  third.exchange.abort(new Error('the client went away'));
  await until(() => server.streams[2]!.closed, 'the third watch to end');
  await new Promise((r) => setTimeout(r, 200));
  expect(server.sessions[1]!.closed).toBe(false);
  await watch(watches, '/w/4'); // the kept session takes it: no third connection
  expect(server.sessions).toHaveLength(2);
  expect(server.streams).toHaveLength(4);
});

it('a server without h2 gets its watches through the fallback', async () => {
  const server = createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) => res.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => server.close());
  const origin = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const used: string[] = [];
  const fallback: Pick<Dispatcher, 'dispatch'> = {
    dispatch: (options, handler) => {
      used.push(options.path);
      handler.onResponseError?.(null as never, new Error('fallback reached'));
      return true;
    },
  };
  const watches = dispatcher(origin, fallback);
  for (const path of ['/w/1', '/w/2']) {
    const exchange = new UpstreamExchange();
    watches.dispatch({ path, method: 'GET', headers: {} }, exchange);
    await expect(exchange.head).rejects.toThrow('fallback reached');
  }
  expect(used).toEqual(['/w/1', '/w/2']);
});
