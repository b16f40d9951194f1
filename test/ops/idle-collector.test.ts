/**
 * The full collection after a burst of closed connections (gateway/ops/idle-collector.ts): when
 * it runs and when it must not, on a real server with real sockets; and that the collection it
 * uses is a real one, reached without `--expose-gc` and without a global `gc`.
 */
import { once } from 'node:events';
import { connect as connectHttp2, createServer as createHttp2Server } from 'node:http2';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  collectAfterConnectionBursts,
  fullCollection,
  type IdleCollector,
} from '../../gateway/ops/idle-collector.ts';

const QUIET_MS = 200;
const SETTINGS = { minClosed: 5, quietMs: QUIET_MS, spacingMs: 1_500 };

let server: Server;
let port: number;
let collector: IdleCollector | undefined;
let runs: number;

beforeEach(async () => {
  server = createServer((socket) => socket.on('error', () => {}));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
  runs = 0;
});

afterEach(async () => {
  collector?.stop();
  collector = undefined;
  server.close();
});

const start = () => {
  collector = collectAfterConnectionBursts(server, { ...SETTINGS, collect: () => runs++ });
};

/** Opens `count` connections, waits until the server has them all, then closes them. */
async function burst(count: number): Promise<void> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    await once(socket, 'connect');
  }
  for (const socket of sockets) socket.destroy();
  await Promise.all(sockets.map((socket) => once(socket, 'close')));
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

describe('collectAfterConnectionBursts', () => {
  it('collects once when a burst of closed connections is over, and not again without a new one', async () => {
    start();
    await burst(8);
    await until(() => runs === 1, 3_000);
    expect(collector?.collections).toBe(1);
    await sleep(4 * QUIET_MS);
    expect(runs).toBe(1);
  });

  it('does not collect for fewer closed connections than minClosed', async () => {
    start();
    await burst(4);
    await sleep(5 * QUIET_MS);
    expect(runs).toBe(0);
  });

  it('does not collect while connections keep closing, then does once they stop', async () => {
    start();
    for (let i = 0; i < 10; i++) {
      await burst(1);
      await sleep(QUIET_MS / 4);
    }
    expect(runs).toBe(0);
    await until(() => runs === 1, 3_000);
  });

  it('leaves spacingMs between two collections however many bursts end in between', async () => {
    start();
    await burst(6);
    await until(() => runs === 1, 3_000);
    const first = Date.now();
    await burst(6);
    await sleep(3 * QUIET_MS);
    expect(runs).toBe(1);
    await until(() => runs === 2, 3_000);
    expect(Date.now() - first).toBeGreaterThanOrEqual(SETTINGS.spacingMs - 100);
  });

  it('counts the closed streams of an HTTP/2 connection as it counts connections', async () => {
    const h2 = createHttp2Server((_req, res) => res.end('ok'));
    h2.listen(0, '127.0.0.1');
    await once(h2, 'listening');
    collector = collectAfterConnectionBursts(h2, { ...SETTINGS, collect: () => runs++ });
    const session = connectHttp2(`http://127.0.0.1:${(h2.address() as { port: number }).port}`);
    for (let i = 0; i < 8; i++) {
      const stream = session.request({ ':path': '/' });
      stream.resume();
      await once(stream, 'close');
    }
    // One connection, still open: only its eight streams have closed.
    await until(() => runs === 1, 3_000);
    session.close();
    h2.close();
  });

  it('stops counting and collecting once stopped', async () => {
    start();
    collector?.stop();
    expect(server.listenerCount('connection')).toBe(1); // only the server's own handler
    await burst(8);
    await sleep(4 * QUIET_MS);
    expect(runs).toBe(0);
  });
});

describe('fullCollection', () => {
  it('collects unreachable objects without putting gc on the global scope', async () => {
    const collect = fullCollection();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    let target: object | undefined = { payload: new Array(1000).fill('x') };
    const ref = new WeakRef(target);
    target = undefined;
    // A WeakRef keeps its target until the job that created it is over.
    await sleep(0);
    collect();
    expect(ref.deref()).toBeUndefined();
  });
});
