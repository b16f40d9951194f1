import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

export interface IdleCollectorOptions {
  /**
   * Long-lived requests that ended, or that became long-lived and are still open, since the last
   * collection: either many makes one worth running.
   */
  minBurst: number;
  /** How long no long-lived request may have ended or become long-lived: the burst is over. */
  quietMs: number;
  /** The shortest time between two full collections this collector runs. */
  spacingMs: number;
  /** Runs a full collection; {@link fullCollection} unless a test passes its own. */
  collect?: () => void;
  /**
   * The requests open for at least {@link LONG_LIVED_MS} right now (OpenRequests.longLived), read
   * at every check; without it only ended requests count.
   */
  openLongLived?: () => number;
  /** Told after each collection this collector ran (the gateway counts them in its metrics). */
  onCollect?: () => void;
  logger?: Logger;
}

export interface IdleCollector {
  /** A long-lived request (open for at least {@link LONG_LIVED_MS}) ended. */
  ended(): void;
  /** Full collections this collector ran. */
  readonly collections: number;
  stop(): void;
}

/**
 * A request open this long has outlived the young generation: what it held is garbage in the old
 * one once it ends. Ordinary requests take milliseconds and are never counted.
 */
export const LONG_LIVED_MS = 1_000;

/**
 * 5 s between forced collections (one pauses the main thread for 80–210 ms with a thousand requests
 * open): short enough that a burst which arrives and ends within seconds is collected after both.
 */
export const IDLE_COLLECTOR_DEFAULTS = { minBurst: 100, quietMs: 2_000, spacingMs: 5_000 } as const;

/**
 * Runs one full garbage collection after a burst of long-lived requests (watches, exec sessions,
 * held calls) has ended, or has arrived and settled, and the gateway has gone quiet. What an ended
 * one held (its socket and, for a TLS connection, OpenSSL's state and buffers, ~40 KB of native
 * memory each) is freed only when V8 collects it, and a gateway that has gone quiet allocates too
 * little to start a full collection by itself: after 1,000 watches closed it kept ~40 MB for as
 * long as it stayed idle (docs/performance.md). Arriving is the mirror image: what 1,000 calls
 * allocated while they were authenticated, classified and held outlived the young generation,
 * since they were still waiting when it was collected, and lay dead in the old one for as long as
 * they were held (15–25 MB of 1,000 held calls' ~80 MB; twenty-fifth round). Ordinary requests are
 * not counted, since forcing a memory-reducing collection between bursts of them made the gateway
 * spend 1.4–1.7× the CPU per request in two bench runs (the heap has to grow back); nothing is
 * forced while long-lived requests keep ending or arriving, and at most one every `spacingMs`.
 */
export function collectAfterBursts(options: IdleCollectorOptions): IdleCollector {
  const collect = options.collect ?? fullCollection();
  let ended = 0;
  let lastChangeAt = 0;
  let lastForcedAt = Number.NEGATIVE_INFINITY;
  let collections = 0;
  /** The long-lived requests open at the last check, and at the last collection (or fewer since). */
  let openNow = 0;
  let openAtCollection = 0;

  const check = () => {
    const now = performance.now();
    const open = options.openLongLived?.() ?? 0;
    if (open > openNow) lastChangeAt = now;
    openNow = open;
    openAtCollection = Math.min(openAtCollection, open);
    const arrived = open - openAtCollection;
    if (ended < options.minBurst && arrived < options.minBurst) return;
    if (now - lastChangeAt < options.quietMs || now - lastForcedAt < options.spacingMs) return;
    const heapBefore = process.memoryUsage().heapUsed;
    collect();
    collections++;
    options.onCollect?.();
    lastForcedAt = performance.now();
    options.logger?.debug(
      {
        endedRequests: ended,
        settledRequests: arrived,
        freedHeapMb: Math.round((heapBefore - process.memoryUsage().heapUsed) / 2 ** 20),
        ms: Math.round(lastForcedAt - now),
      },
      'memory: full collection after a burst of long-lived requests',
    );
    ended = 0;
    openAtCollection = open;
  };
  const timer = setInterval(check, options.quietMs / 2);
  timer.unref();

  return {
    ended() {
      ended++;
      lastChangeAt = performance.now();
    },
    get collections() {
      return collections;
    },
    stop() {
      clearInterval(timer);
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
