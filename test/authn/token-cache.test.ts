import { describe, expect, it } from 'vitest';
import { createTokenCache, tokenCacheKey } from '../../gateway/authn/token-cache.ts';
import type { Caller } from '../../src/authn/caller.ts';

/** The verified-token cache: bounded in size and in time, keyed by hash, never by token. */

const caller = (subject: string): Caller => ({ issuer: 'https://i', subject, groups: [], claims: {} });

describe('token cache', () => {
  it('keys by SHA-256, not by the token', () => {
    const key = tokenCacheKey('header.payload.signature');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('payload');
  });

  it('keeps an entry until the token expires or the maximum lifetime ends, whichever is first', () => {
    let now = 1_000_000;
    const cache = createTokenCache({ maxTtlMs: 60_000, now: () => now });
    cache.set('short', caller('short'), now + 10_000);
    cache.set('long', caller('long'), now + 3_600_000);
    now += 9_999;
    expect(cache.get('short')?.subject).toBe('short');
    now += 1;
    expect(cache.get('short')).toBeUndefined();
    now += 49_999;
    expect(cache.get('long')?.subject).toBe('long');
    now += 1;
    expect(cache.get('long')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not store an already expired token', () => {
    const cache = createTokenCache({ now: () => 5_000 });
    cache.set('old', caller('old'), 4_000);
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = createTokenCache({ maxEntries: 3, now: () => 0 });
    for (const name of ['a', 'b', 'c']) cache.set(name, caller(name), 10_000);
    expect(cache.get('a')?.subject).toBe('a');
    cache.set('d', caller('d'), 10_000);
    expect(cache.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => cache.get(k)?.subject)).toEqual(['a', 'c', 'd']);
    expect(cache.size).toBe(3);
  });

  it('can be disabled', () => {
    const cache = createTokenCache({ maxEntries: 0 });
    cache.set('a', caller('a'), Date.now() + 10_000);
    expect(cache.get('a')).toBeUndefined();
  });
});
