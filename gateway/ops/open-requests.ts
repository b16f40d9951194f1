import type { RequestContext } from '../request-context.ts';
import { LONG_LIVED_MS } from './idle-collector.ts';

/**
 * Every request in flight, so that scrapes can count the long-lived ones (watches, exec, attach,
 * port-forward) and shutdown can end them cleanly and wait for the rest. The request-log stage
 * adds a request when it arrives and removes it when it closes: one Set add and delete per
 * request; what kind each one is gets worked out only at scrape or shutdown time.
 */
export type StreamKind = 'watch' | 'exec' | 'attach' | 'portforward' | 'other';

export class OpenRequests {
  readonly #open = new Set<RequestContext>();
  readonly #longLivedNs: bigint;
  /** Told when a request that was open for at least `longLivedMs` ends (the idle collector). */
  onLongLivedEnd: (() => void) | undefined;

  constructor(options: { longLivedMs?: number; onLongLivedEnd?: () => void } = {}) {
    this.#longLivedNs = BigInt(options.longLivedMs ?? LONG_LIVED_MS) * 1_000_000n;
    this.onLongLivedEnd = options.onLongLivedEnd;
  }

  add(ctx: RequestContext): void {
    this.#open.add(ctx);
  }

  delete(ctx: RequestContext): void {
    this.#open.delete(ctx);
    if (this.onLongLivedEnd && process.hrtime.bigint() - ctx.startedAt >= this.#longLivedNs)
      this.onLongLivedEnd();
  }

  get size(): number {
    return this.#open.size;
  }

  /** The long-lived requests by kind (ordinary requests are not counted). */
  countStreams(): Record<StreamKind, number> {
    const counts: Record<StreamKind, number> = { watch: 0, exec: 0, attach: 0, portforward: 0, other: 0 };
    for (const ctx of this.#open) {
      const kind = streamKindOf(ctx);
      if (kind) counts[kind]++;
    }
    return counts;
  }

  /** A snapshot, for shutdown to walk while requests close. */
  all(): RequestContext[] {
    return [...this.#open];
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
