/**
 * A bounded map kept in least-recently-used order, for caches on the recording's hot path.
 *
 * The most recently set entry can be updated in place ({@link RecentlyUsed.newest}) instead of
 * being deleted and inserted again at the back: under load (one session's requests, one after
 * another) a delete and re-insert per append churned the Map's table, and V8 chains each table it
 * replaces to the next, which carried young objects into the old generation
 * (docs/performance.md, ninth round).
 */
export class RecentlyUsed<V extends object> {
  readonly #entries = new Map<string, V>();
  readonly #limit: number;
  #newestKey: string | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** `key`'s value when it is the most recently set entry (update it in place), else undefined. */
  newest(key: string): V | undefined {
    return key === this.#newestKey ? this.#entries.get(key) : undefined;
  }

  /** Sets `key` as the most recently used entry; returns the oldest key evicted to stay in bounds. */
  set(key: string, value: V): string | undefined {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newestKey = key;
    if (this.#entries.size <= this.#limit) return undefined;
    const oldest = this.#entries.keys().next().value;
    if (oldest !== undefined) this.delete(oldest);
    return oldest;
  }

  delete(key: string): void {
    this.#entries.delete(key);
    if (this.#newestKey === key) this.#newestKey = undefined;
  }
}
