import type { Server } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

export interface IdleCollectorOptions {
  /** Closed connections (or HTTP/2 streams) since the last full collection that make one worth running. */
  minClosed: number;
  /** How long no connection may have closed: the burst is over. */
  quietMs: number;
  /** The shortest time between two full collections this collector runs. */
  spacingMs: number;
  /** Runs a full collection; {@link fullCollection} unless a test passes its own. */
  collect?: () => void;
  /** Told after each collection this collector ran (the gateway counts them in its metrics). */
  onCollect?: () => void;
  logger?: Logger;
}

export interface IdleCollector {
  /** Full collections this collector ran. */
  readonly collections: number;
  stop(): void;
}

export const IDLE_COLLECTOR_DEFAULTS = { minClosed: 100, quietMs: 2_000, spacingMs: 10_000 } as const;

/**
 * Runs one full garbage collection after a burst of connections has closed and the gateway has
 * gone quiet. A closed TLS connection's native memory (OpenSSL's state and buffers, ~40 KB) is
 * freed only when V8 collects the socket objects that own it, and a gateway that has gone quiet
 * allocates too little to start a full collection by itself: after 1,000 watches closed it kept
 * ~40 MB for as long as it stayed idle (docs/performance.md). Nothing is forced while connections
 * keep closing (under traffic V8 collects on its own schedule), and at most one every `spacingMs`.
 */
export function collectAfterConnectionBursts(server: Server, options: IdleCollectorOptions): IdleCollector {
  const collect = options.collect ?? fullCollection();
  let closed = 0;
  let lastCloseAt = 0;
  let lastForcedAt = Number.NEGATIVE_INFINITY;
  let collections = 0;
  const countClose = () => {
    closed++;
    lastCloseAt = performance.now();
  };
  // An HTTP/2 stream counts as a connection, as it does for the connection caps: 1,000 watches
  // on ten connections leave as much garbage as 1,000 watches on their own connections.
  const onConnection = (socket: NodeJS.EventEmitter) => socket.once('close', countClose);
  server.on('connection', onConnection);
  server.on('stream', onConnection);

  const check = () => {
    const now = performance.now();
    if (closed < options.minClosed) return;
    if (now - lastCloseAt < options.quietMs || now - lastForcedAt < options.spacingMs) return;
    const released = closed;
    const heapBefore = process.memoryUsage().heapUsed;
    collect();
    collections++;
    options.onCollect?.();
    closed = 0;
    lastForcedAt = performance.now();
    options.logger?.debug(
      {
        closedConnections: released,
        freedHeapMb: Math.round((heapBefore - process.memoryUsage().heapUsed) / 2 ** 20),
        ms: Math.round(lastForcedAt - now),
      },
      'memory: full collection after a burst of closed connections',
    );
  };
  const timer = setInterval(check, options.quietMs / 2);
  timer.unref();

  return {
    get collections() {
      return collections;
    },
    stop() {
      clearInterval(timer);
      server.off('connection', onConnection);
      server.off('stream', onConnection);
    },
  };
}

/**
 * V8's most thorough full collection (the "last resort" one: repeated until nothing more is freed,
 * memory-reducing), without starting Node with `--expose-gc`: the flag is set at run time and the
 * `gc` function taken from a fresh context, so the gateway's own global scope (and every library in
 * it) never sees a `gc`. A regular full collection was not enough: after 1,000 watches closed it
 * freed their JS objects (heap 60 → 31 MB) but RSS stayed at 155 MB; this one took it to 114 MB
 * (the gateway started at 111 MB), in 134 ms.
 */
export function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'major'; flavor: 'last-resort' }) => void;
  return () => gc({ type: 'major', flavor: 'last-resort' });
}
