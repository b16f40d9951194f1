import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiFailure, getJson } from './client.ts';

export type Loaded<T> =
  | { state: 'loading'; data?: T }
  | { state: 'ready'; data: T }
  | { state: 'failed'; error: ApiFailure; data?: T };

/**
 * Loads `path` (null: nothing yet) and reloads when it changes or `reload()` is called. A stale
 * answer never overwrites a newer one: the previous request is aborted.
 */
export function useApi<T>(path: string | null): Loaded<T> & { reload: () => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    setLoaded((previous) => ({ state: 'loading', ...(previous.data ? { data: previous.data } : {}) }));
    getJson<T>(path, abort.signal).then(
      (data) => setLoaded({ state: 'ready', data }),
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setLoaded({ state: 'failed', error: asFailure(error) });
      },
    );
    return () => abort.abort();
  }, [path, generation]);

  return { ...loaded, reload };
}

export function asFailure(error: unknown): ApiFailure {
  if (error instanceof ApiFailure) return error;
  return new ApiFailure(0, 'Unknown', 'Something went wrong in the console page. Reload to try again.');
}
