import { hash } from 'node:crypto';
import type { Caller } from '../../src/authn/caller.ts';

/**
 * Verified tokens, so that a busy agent costs one SHA-256 and one map lookup per request instead
 * of a signature verification. Keys are the SHA-256 of the token, never the token itself: a heap
 * dump or a debugger must not hand out working credentials. Entries live until the token's `exp`
 * or `maxTtlMs` after verification, whichever is sooner, so a key the issuer retires stops
 * working within that bound. Least recently used entries are evicted beyond `maxEntries`
 * (a Map iterates in insertion order; a hit re-inserts the entry).
 *
 * Only successes are cached: a failure may be transient (clock, rotation) and caching it would
 * let an attacker fill the cache with garbage cheaply.
 */
export interface TokenCache {
  get(key: string): Caller | undefined;
  set(key: string, caller: Caller, tokenExpiresAtMs: number): void;
  readonly size: number;
}

export interface TokenCacheOptions {
  /** Default 10,000. */
  maxEntries?: number;
  /** Default 60 s. */
  maxTtlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  caller: Caller;
  expiresAtMs: number;
}

/** The cache key of a token: SHA-256, base64url (one-shot `hash`: half the CPU of a `Hash` object). */
export function tokenCacheKey(token: string): string {
  return hash('sha256', token, 'base64url');
}

export function createTokenCache(options: TokenCacheOptions = {}): TokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxTtlMs = options.maxTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();

  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expiresAtMs <= now()) return undefined;
      entries.set(key, entry);
      return entry.caller;
    },
    set(key, caller, tokenExpiresAtMs) {
      if (maxEntries <= 0) return;
      const expiresAtMs = Math.min(tokenExpiresAtMs, now() + maxTtlMs);
      if (expiresAtMs <= now()) return;
      entries.delete(key);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { caller, expiresAtMs });
    },
    get size() {
      return entries.size;
    },
  };
}
