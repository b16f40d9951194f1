/**
 * Event writes nobody waits for: a request's `response` event is appended after the request has
 * finished for its client (pipeline/record.ts), holding none of the request while it waits for
 * Redis. They are kept here so that shutdown (and a test) can wait for them to reach the store.
 */
export class DetachedWrites {
  readonly #pending = new Set<Promise<void>>();

  /** Keeps `write` until it settles. It must not reject (catch and log its failure first). */
  track(write: Promise<void>): void {
    this.#pending.add(write);
    const forget = () => void this.#pending.delete(write);
    write.then(forget, forget);
  }

  /** Writes not yet settled. */
  get size(): number {
    return this.#pending.size;
  }

  /** Resolves once every write tracked so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}
