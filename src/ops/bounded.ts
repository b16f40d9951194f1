/**
 * Waits for `work` at most `ms`, then gives up on it (it is not cancelled; whoever started it must
 * cut its connections). Shutdown uses this for every close: an ioredis or BullMQ close waits for a
 * Redis that may never answer, and a stop that waits forever is a stop that never happens.
 * Resolves to true when `work` settled in time (fulfilled or rejected), false when it timed out.
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
