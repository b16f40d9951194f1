import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../src/errors.ts';
import { ObjectStore, type StoreEvent } from '../src/store/object-store.ts';

const cm = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

const statusCode = (fn: () => unknown): number => {
  try {
    fn();
  } catch (error) {
    if (error instanceof StatusError) return error.code;
    throw error;
  }
  return 0;
};

describe('ObjectStore', () => {
  it('stamps identity on create and refuses duplicates with 409 AlreadyExists', () => {
    const store = new ObjectStore();
    const created = store.create('configmaps', cm('a'));
    const meta = created['metadata'] as Record<string, unknown>;
    expect(meta['uid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta['resourceVersion']).toBe('1');
    expect(meta['generation']).toBe(1);
    expect(meta['creationTimestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(statusCode(() => store.create('configmaps', cm('a')))).toBe(409);
  });

  it('versions every write, keeps identity, bumps generation only for non-metadata changes', () => {
    const store = new ObjectStore();
    const created = store.create('configmaps', cm('a', { k: '1' }));
    const relabeled = store.replace('configmaps', {
      ...created,
      metadata: { ...(created['metadata'] as object), labels: { x: 'y' } },
    });
    expect((relabeled['metadata'] as Record<string, unknown>)['generation']).toBe(1);
    const changed = store.replace('configmaps', { ...relabeled, data: { k: '2' } });
    const meta = changed['metadata'] as Record<string, unknown>;
    expect(meta['generation']).toBe(2);
    expect(meta['resourceVersion']).toBe('3');
    expect(meta['uid']).toBe((created['metadata'] as Record<string, unknown>)['uid']);
  });

  it('refuses a stale resourceVersion with 409 Conflict and a missing object with 404', () => {
    const store = new ObjectStore();
    const created = store.create('configmaps', cm('a'));
    store.replace('configmaps', { ...created, data: { k: 'new' } });
    expect(statusCode(() => store.replace('configmaps', { ...created, data: { k: 'stale' } }))).toBe(409);
    expect(statusCode(() => store.replace('configmaps', cm('missing')))).toBe(404);
    expect(statusCode(() => store.delete('configmaps', 'default', 'missing'))).toBe(404);
  });

  it('hands out copies', () => {
    const store = new ObjectStore();
    store.create('configmaps', cm('a', { k: '1' }));
    const copy = store.get('configmaps', 'default', 'a')!;
    (copy['data'] as Record<string, string>)['k'] = 'mutated';
    expect(store.get('configmaps', 'default', 'a')!['data']).toEqual({ k: '1' });
  });

  it('lists sorted by namespace/name, per namespace or across all', () => {
    const store = new ObjectStore();
    store.create('configmaps', { ...cm('b'), metadata: { name: 'b', namespace: 'x' } });
    store.create('configmaps', cm('c'));
    store.create('configmaps', cm('a'));
    const names = (list: Array<Record<string, unknown>>) =>
      list.map((o) => (o['metadata'] as { name: string }).name);
    expect(names(store.list('configmaps'))).toEqual(['a', 'c', 'b']);
    expect(names(store.list('configmaps', 'x'))).toEqual(['b']);
    expect(store.list('pods')).toEqual([]);
  });

  it('emits one event per write and replays history after a resourceVersion', () => {
    const store = new ObjectStore();
    const seen: StoreEvent[] = [];
    const stop = store.subscribe((e) => seen.push(e));
    const a = store.create('configmaps', cm('a'));
    store.replace('configmaps', { ...a, data: { k: '1' } });
    store.delete('configmaps', 'default', 'a');
    stop();
    store.create('configmaps', cm('b'));
    expect(seen.map((e) => `${e.type}@${e.resourceVersion}`)).toEqual(['ADDED@1', 'MODIFIED@2', 'DELETED@3']);
    expect(seen[2]?.previous?.['data']).toEqual({ k: '1' });
    const since = store.eventsSince(2);
    expect(since !== 'expired' && since.map((e) => e.type)).toEqual(['DELETED', 'ADDED']);
  });

  it('reports history older than it keeps as expired', () => {
    const store = new ObjectStore({ historyLimit: 2 });
    for (const name of ['a', 'b', 'c', 'd']) store.create('configmaps', cm(name));
    expect(store.eventsSince(1)).toBe('expired');
    expect(store.eventsSince(2)).not.toBe('expired');
    expect(store.resourceVersion).toBe('4');
  });
});
