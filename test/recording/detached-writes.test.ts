import { describe, expect, it } from 'vitest';
import { DetachedWrites } from '../../gateway/recording/detached-writes.ts';

/** DetachedWrites keeps writes nobody waits for until they settle, and waits for them on request. */

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('DetachedWrites', () => {
  it('settled() waits for every write tracked so far, and forgets each once it settled', async () => {
    const writes = new DetachedWrites();
    const first = deferred();
    const second = deferred();
    writes.track(first.promise);
    writes.track(second.promise);
    expect(writes.size).toBe(2);

    let settled = false;
    const waiting = writes.settled().then(() => {
      settled = true;
    });
    first.resolve();
    await first.promise;
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(writes.size).toBe(1);

    second.resolve();
    await waiting;
    expect(settled).toBe(true);
    expect(writes.size).toBe(0);
  });

  it('a write that fails anyway is forgotten and does not fail settled()', async () => {
    const writes = new DetachedWrites();
    const failing = deferred();
    writes.track(failing.promise);
    failing.promise.catch(() => undefined); // the caller's own handling
    failing.reject(new Error('Redis went away'));
    await expect(writes.settled()).resolves.toBeUndefined();
    expect(writes.size).toBe(0);
  });

  it('settled() with nothing tracked resolves at once', async () => {
    await expect(new DetachedWrites().settled()).resolves.toBeUndefined();
  });
});
