import type { Review, ReviewState } from './review.types.ts';
import type { ReviewEvents } from './review-events.ts';

/**
 * Holding a request: wait until a review leaves `pending`, or give up after `timeoutMs`.
 *
 * Three things can end the wait, whichever comes first:
 * - an event for the review on the events channel (fast path: milliseconds after the click);
 * - a poll that re-reads the record every `pollMs` (slow path: a pub/sub message lost during a
 *   reconnect delays the decision by at most `pollMs`, never loses it);
 * - the timeout, which resolves `pending` so the gateway can answer 429 Retry-After;
 * - the connection to Redis closing (`onConnectionLost`): the record is re-read at once, so a
 *   Redis that went away is noticed within the read's ready timeout (about a second) instead of
 *   at the next poll plus that timeout, and one that comes straight back costs nothing.
 * An aborted `signal` (the client went away) rejects with the signal's reason. A failed read
 * (Redis down) rejects with `ApprovalsUnavailableError`; failing to subscribe does not, since
 * polling still works.
 */
export interface WaitOptions {
  /** How long to hold. */
  timeoutMs: number;
  /** How often to re-read the record. Default 2000 ms. */
  pollMs?: number;
  signal?: AbortSignal;
  /** Subscribes to the loss of the Redis connection the reads go through; returns an unsubscribe. */
  onConnectionLost?: (listener: () => void) => () => void;
}

export interface WaitResult {
  /** The review's state when the wait ended; `pending` after a timeout. */
  state: ReviewState | 'not-found';
  review?: Review;
}

export async function waitForDecision(
  events: ReviewEvents,
  get: (id: string) => Promise<Review | undefined>,
  id: string,
  options: WaitOptions,
): Promise<WaitResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  let removeListener: (() => void) | undefined;
  let settle: ((result: WaitResult) => void) | undefined;
  let fail: ((error: unknown) => void) | undefined;
  let last: Review | undefined;
  let finished = false;

  const check = async (): Promise<void> => {
    try {
      const review = await get(id);
      if (!review) settle?.({ state: 'not-found' });
      else if (review.state !== 'pending') settle?.({ state: review.state, review });
      else last = review;
    } catch (error) {
      fail?.(error);
    }
  };

  const done = new Promise<WaitResult>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // The outcome may be settled while we still await the subscription; mark it handled so an early
  // abort is not reported as an unhandled rejection before `await done` below observes it.
  done.catch(() => undefined);
  const onAbort = (): void => fail?.(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => settle?.({ state: 'pending', ...(last ? { review: last } : {}) }),
    options.timeoutMs,
  );
  const poll = setInterval(() => void check(), options.pollMs ?? 2000);
  const stopWatching = options.onConnectionLost?.(() => {
    if (!finished) void check();
  });

  try {
    // Read at once (a final review, or a dead Redis, answers without waiting for the
    // subscription), and again once subscribed, closing the gap between the two.
    void check();
    events
      .subscribe((event) => {
        if (event.id === id && event.state !== 'pending' && !finished) void check();
      })
      .then(
        (remove) => {
          if (finished) return remove();
          removeListener = remove;
          void check();
        },
        () => undefined, // No events: the poll alone still sees the decision.
      );
    return await done;
  } finally {
    finished = true;
    clearTimeout(timer);
    clearInterval(poll);
    stopWatching?.();
    signal?.removeEventListener('abort', onAbort);
    removeListener?.();
  }
}
