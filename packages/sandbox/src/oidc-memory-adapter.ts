import type { Adapter } from 'oidc-provider';

/**
 * oidc-provider's storage, in memory: what the device flow needs to remember between the CLI's
 * device authorization request, the person's browser (or a test) entering the code, and the CLI's
 * polling (device codes, interactions, sessions, grants, refresh tokens). One store per issuer,
 * one map per model name; entries expire as the provider asks. Loopback test equipment only.
 */
interface Entry {
  payload: Record<string, unknown>;
  expiresAt: number;
}

export function memoryAdapterFactory(): ((model: string) => Adapter) & {
  /** The ids stored for `model` (for opaque tokens such as refresh tokens, the token itself). */
  ids(model: string): string[];
} {
  const models = new Map<string, Map<string, Entry>>();
  const grants = new Map<string, Set<{ model: string; id: string }>>();
  const table = (model: string): Map<string, Entry> => {
    let map = models.get(model);
    if (!map) {
      map = new Map();
      models.set(model, map);
    }
    return map;
  };
  const live = (entry: Entry | undefined): Record<string, unknown> | undefined =>
    entry && entry.expiresAt > Date.now() ? entry.payload : undefined;

  const factory = (model: string): Adapter => {
    const map = table(model);
    const findBy = (field: string, value: string) => {
      for (const entry of map.values()) if (entry.payload[field] === value) return live(entry);
      return undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        const record = payload as Record<string, unknown>;
        map.set(id, { payload: record, expiresAt: Date.now() + (expiresIn || 3600) * 1000 });
        const grantId = record['grantId'];
        if (typeof grantId === 'string') {
          const set = grants.get(grantId) ?? new Set();
          set.add({ model, id });
          grants.set(grantId, set);
        }
      },
      find: async (id) => live(map.get(id)),
      findByUserCode: async (userCode) => findBy('userCode', userCode),
      findByUid: async (uid) => findBy('uid', uid),
      async consume(id) {
        const entry = map.get(id);
        if (entry) entry.payload['consumed'] = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        map.delete(id);
      },
      async revokeByGrantId(grantId) {
        for (const { model: name, id } of grants.get(grantId) ?? []) table(name).delete(id);
        grants.delete(grantId);
      },
    };
  };
  return Object.assign(factory, { ids: (model: string) => [...table(model).keys()] });
}
