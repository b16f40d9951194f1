/**
 * Counts of live streaming sessions, so tests (and a curious operator) can check that nothing
 * outlives its client: every session registers on start and releases exactly once on teardown.
 */

export type ActiveKind = 'exec' | 'attach' | 'portforwardSession' | 'portforwardConnection';

const counts: Record<ActiveKind, number> = {
  exec: 0,
  attach: 0,
  portforwardSession: 0,
  portforwardConnection: 0,
};

/** Registers one live session of `kind`; call the returned function when it is gone (idempotent). */
export function trackActive(kind: ActiveKind): () => void {
  counts[kind]++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    counts[kind]--;
  };
}

/** A snapshot of the live sessions by kind. */
export function activeStreamCounts(): Readonly<Record<ActiveKind, number>> {
  return { ...counts };
}
