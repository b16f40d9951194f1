/**
 * The full collection after a burst of long-lived requests (gateway/ops/idle-collector.ts), ended
 * or arrived and settled: when it runs and when it must not; which requests count
 * (gateway/ops/open-requests.ts: those open for at least a second, never ordinary ones); and that
 * the collection it uses is a real one, reached without `--expose-gc` and without a global `gc`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { collectAfterBursts, fullCollection, type IdleCollector } from '../../gateway/ops/idle-collector.ts';
import { OpenRequests } from '../../gateway/ops/open-requests.ts';
import type { RequestContext } from '../../gateway/request-context.ts';

const QUIET_MS = 200;
const SETTINGS = { minBurst: 5, quietMs: QUIET_MS, spacingMs: 1_500 };

let collector: IdleCollector | undefined;
let runs = 0;
/** What the collector reads as the long-lived requests open now. */
let openLongLived = 0;

afterEach(() => {
  collector?.stop();
  collector = undefined;
  runs = 0;
  openLongLived = 0;
});

const start = () => {
  collector = collectAfterBursts({ ...SETTINGS, openLongLived: () => openLongLived, collect: () => runs++ });
  return collector;
};

function burst(count: number): void {
  for (let i = 0; i < count; i++) collector!.ended();
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

describe('collectAfterBursts', () => {
  it('collects once when a burst of long-lived requests is over, and not again without a new one', async () => {
    start();
    burst(8);
    expect(runs).toBe(0);
    await until(() => runs === 1, 3_000);
    expect(collector?.collections).toBe(1);
    await sleep(4 * QUIET_MS);
    expect(runs).toBe(1);
  });

  it('does not collect for fewer ended requests than minBurst', async () => {
    start();
    burst(4);
    await sleep(5 * QUIET_MS);
    expect(runs).toBe(0);
  });

  it('does not collect while requests keep ending, then does once they stop', async () => {
    start();
    for (let i = 0; i < 10; i++) {
      burst(1);
      await sleep(QUIET_MS / 4);
    }
    expect(runs).toBe(0);
    await until(() => runs === 1, 3_000);
  });

  it('leaves spacingMs between two collections however many bursts end in between', async () => {
    start();
    burst(6);
    await until(() => runs === 1, 3_000);
    const first = Date.now();
    burst(6);
    await sleep(3 * QUIET_MS);
    expect(runs).toBe(1);
    await until(() => runs === 2, 3_000);
    expect(Date.now() - first).toBeGreaterThanOrEqual(SETTINGS.spacingMs - 100);
  });

  it('collects once when a burst of long-lived requests has arrived and settled, not while it arrives', async () => {
    start();
    for (let i = 0; i < 6; i++) {
      openLongLived += 2;
      await sleep(QUIET_MS / 3);
    }
    expect(runs).toBe(0);
    await until(() => runs === 1, 3_000);
    // Still open, nothing new: no second collection, even once spacingMs has passed.
    await sleep(SETTINGS.spacingMs + 2 * QUIET_MS);
    expect(runs).toBe(1);
  });

  it('does not collect for fewer arrivals than minBurst, nor for churn that keeps the count level', async () => {
    start();
    openLongLived = 4;
    await sleep(5 * QUIET_MS);
    expect(runs).toBe(0);
    // As many end as arrive between two checks: the count stays at 4.
    for (let i = 0; i < 3; i++) {
      openLongLived = 4;
      await sleep(QUIET_MS);
    }
    expect(runs).toBe(0);
  });

  it('counts arrivals from the level the open requests fell to, not from their peak', async () => {
    start();
    openLongLived = 10;
    await until(() => runs === 1, 3_000);
    openLongLived = 2; // most ended (too few to count as an ended burst here: ended() not called)
    await sleep(QUIET_MS);
    openLongLived = 8; // six new ones: a burst from 2, though still below the earlier 10
    await until(() => runs === 2, SETTINGS.spacingMs + 3_000);
  });

  it('does nothing once stopped', async () => {
    start().stop();
    burst(8);
    await sleep(4 * QUIET_MS);
    expect(runs).toBe(0);
  });
});

describe('OpenRequests: which ended requests count as long-lived', () => {
  const request = (openedMsAgo: number) =>
    ({ startedAt: process.hrtime.bigint() - BigInt(openedMsAgo) * 1_000_000n }) as RequestContext;

  it('a request open for a second or more counts, an ordinary one never does', () => {
    let counted = 0;
    const open = new OpenRequests({ onLongLivedEnd: () => counted++ });
    const watch = request(1_500);
    const get = request(3);
    const watchEntry = open.add(watch);
    const getEntry = open.add(get);
    open.delete(getEntry);
    expect(counted).toBe(0);
    open.delete(watchEntry);
    expect(counted).toBe(1);
    expect(open.size).toBe(0);
  });
});

describe('OpenRequests: how many requests are long-lived right now', () => {
  const request = (openedMsAgo: number) =>
    ({ startedAt: process.hrtime.bigint() - BigInt(openedMsAgo) * 1_000_000n }) as RequestContext;

  it('counts those open for a second or more, whatever ended in between', () => {
    const open = new OpenRequests();
    const old = [3_000, 2_000, 1_200].map((ms) => open.add(request(ms)));
    const young = [500, 20, 1].map((ms) => open.add(request(ms)));
    expect(open.longLived()).toBe(3);
    open.delete(old[1]!);
    open.delete(young[0]!);
    expect(open.longLived()).toBe(2);
    for (const entry of [...old, ...young]) open.delete(entry);
    expect(open.longLived()).toBe(0);
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
