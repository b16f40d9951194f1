import { describe, expect, it } from 'vitest';
import { RecentlyUsed } from '../../gateway/recording/recently-used.ts';

/**
 * RecentlyUsed promises: bounded, evicting the least recently set key (and saying which); only the
 * most recently set entry is offered for an update in place; a deleted or evicted key is gone.
 */

describe('RecentlyUsed', () => {
  it('offers only the most recently set entry for an update in place', () => {
    const cache = new RecentlyUsed<{ n: number }>(10);
    cache.set('a', { n: 1 });
    cache.set('b', { n: 2 });
    expect(cache.newest('a')).toBeUndefined();
    const b = cache.newest('b')!;
    b.n = 3;
    expect(cache.get('b')).toEqual({ n: 3 });
    cache.set('a', { n: 4 });
    expect(cache.newest('b')).toBeUndefined();
    expect(cache.newest('a')).toEqual({ n: 4 });
  });

  it('evicts the least recently set key beyond its limit and returns it', () => {
    const cache = new RecentlyUsed<{ n: number }>(2);
    expect(cache.set('a', { n: 1 })).toBeUndefined();
    expect(cache.set('b', { n: 2 })).toBeUndefined();
    expect(cache.set('a', { n: 3 })).toBeUndefined(); // moved behind b
    expect(cache.set('c', { n: 4 })).toBe('b');
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toEqual({ n: 3 });
    expect(cache.get('c')).toEqual({ n: 4 });
  });

  it('a key updated in place stays where it was in the eviction order', () => {
    const cache = new RecentlyUsed<{ n: number }>(2);
    cache.set('a', { n: 1 });
    cache.set('b', { n: 2 });
    cache.newest('b')!.n = 5;
    expect(cache.set('c', { n: 3 })).toBe('a');
    expect(cache.get('b')).toEqual({ n: 5 });
  });

  it('a deleted newest key is no longer offered, and setting it again works', () => {
    const cache = new RecentlyUsed<{ n: number }>(2);
    cache.set('a', { n: 1 });
    cache.delete('a');
    expect(cache.newest('a')).toBeUndefined();
    expect(cache.has('a')).toBe(false);
    cache.set('a', { n: 2 });
    expect(cache.newest('a')).toEqual({ n: 2 });
  });
});
