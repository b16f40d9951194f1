import type { RequestContext } from '../request-context.ts';
import { LONG_LIVED_MS } from './idle-collector.ts';

/**
 * Every request in flight, so that scrapes can count the long-lived ones (watches, exec, attach,
 * port-forward) and shutdown can end them cleanly and wait for the rest. The request-log stage
 * adds a request when it arrives and removes it, with the entry `add` returned, when it closes;
 * what kind each one is gets worked out only at scrape or shutdown time.
 *
 * A linked list of entries rather than a `Set`: under load a Set's table is replaced every few
 * dozen requests, and V8 links each replaced table to its successor (for iterators still on it).
 * Once a table had lived long enough to be moved to the old generation, the chain of dead tables
 * after it kept every request they ever held alive through the young-generation collections, so
 * whole requests (their sockets' objects, headers, upstream exchanges) were promoted and a full
 * collection ran every 100–200 ms: ~0.45 MB promoted per scavenge against ~0.01 MB with the list,
 * and a third of the gateway's CPU per small request (docs/performance.md, ninth round). An
 * entry removed from the list points nowhere, so a dead entry holds nothing alive.
 */
export type StreamKind = 'watch' | 'exec' | 'attach' | 'portforward' | 'other';

/** A request in the list; `add` returns it and `delete` takes it back (the links are the list's). */
export interface OpenEntry {
  readonly ctx: RequestContext;
  prev: OpenEntry | null;
  next: OpenEntry | null;
  open: boolean;
}

export class OpenRequests {
  #newest: OpenEntry | null = null;
  #size = 0;
  readonly #longLivedNs: bigint;
  /** Told when a request that was open for at least `longLivedMs` ends (the idle collector). */
  onLongLivedEnd: (() => void) | undefined;

  constructor(options: { longLivedMs?: number; onLongLivedEnd?: () => void } = {}) {
    this.#longLivedNs = BigInt(options.longLivedMs ?? LONG_LIVED_MS) * 1_000_000n;
    this.onLongLivedEnd = options.onLongLivedEnd;
  }

  add(ctx: RequestContext): OpenEntry {
    const entry: OpenEntry = { ctx, prev: null, next: this.#newest, open: true };
    if (this.#newest) this.#newest.prev = entry;
    this.#newest = entry;
    this.#size++;
    return entry;
  }

  /** Removes the request `add` returned `entry` for; a second call does nothing. */
  delete(entry: OpenEntry): void {
    if (!entry.open) return;
    entry.open = false;
    if (entry.prev) entry.prev.next = entry.next;
    else this.#newest = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    entry.prev = null;
    entry.next = null;
    this.#size--;
    if (this.onLongLivedEnd && process.hrtime.bigint() - entry.ctx.startedAt >= this.#longLivedNs)
      this.onLongLivedEnd();
  }

  get size(): number {
    return this.#size;
  }

  /**
   * The requests open for at least `longLivedMs` (the idle collector watches it grow). The list is
   * newest first, so only the young entries at its head are walked: the requests of the last
   * `longLivedMs` still open, a handful under ordinary load.
   */
  longLived(): number {
    const youngFrom = process.hrtime.bigint() - this.#longLivedNs;
    let young = 0;
    for (let entry = this.#newest; entry && entry.ctx.startedAt > youngFrom; entry = entry.next) young++;
    return this.#size - young;
  }

  /** The long-lived requests by kind (ordinary requests are not counted). */
  countStreams(): Record<StreamKind, number> {
    const counts: Record<StreamKind, number> = { watch: 0, exec: 0, attach: 0, portforward: 0, other: 0 };
    for (const ctx of this.all()) {
      const kind = streamKindOf(ctx);
      if (kind) counts[kind]++;
    }
    return counts;
  }

  /** A snapshot, oldest first, for shutdown to walk while requests close. */
  all(): RequestContext[] {
    const out: RequestContext[] = [];
    for (let entry = this.#newest; entry; entry = entry.next) out.push(entry.ctx);
    return out.reverse();
  }
}

/** What kind of long-lived request `ctx` is, or undefined for an ordinary one. */
export function streamKindOf(ctx: RequestContext): StreamKind | undefined {
  const info = ctx.info;
  if (info?.verb === 'watch') return 'watch';
  if (!ctx.upgrade) return undefined;
  const sub = info?.resource === 'pods' ? info.subresource : '';
  return sub === 'exec' || sub === 'attach' || sub === 'portforward' ? sub : 'other';
}
