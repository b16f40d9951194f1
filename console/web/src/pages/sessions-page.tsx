import { useLocation } from 'preact-iso';
import type { SessionList } from '../../../api.types.ts';
import { api, pages } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { FILTER_KEYS, SessionFilters } from '../components/session-filters.tsx';
import { SessionTable } from '../components/session-table.tsx';
import { useTitle } from '../use-title.ts';
import { ProblemPage } from './problem-page.tsx';

const PAGE_SIZE = 50;

/** Recorded sessions, newest first, filtered and paged by the server's cursor. */
export function SessionsPage() {
  useTitle('Sessions');
  const { query } = useLocation();
  const params = new URLSearchParams();
  for (const key of [...FILTER_KEYS, 'cursor']) if (query[key]) params.set(key, query[key]);
  params.set('limit', String(PAGE_SIZE));
  const list = useApi<SessionList>(api.sessions(params));

  const next = new URLSearchParams(params);
  next.delete('limit');
  if (list.data?.nextCursor) next.set('cursor', list.data.nextCursor);
  const first = new URLSearchParams(next);
  first.delete('cursor');

  return (
    <>
      <h1>Sessions</h1>
      <SessionFilters />
      {list.state === 'failed' ? (
        <ProblemPage error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <p role="status">Loading sessions…</p>
      ) : (
        <>
          <SessionTable items={list.data.items} />
          <nav class="pager" aria-label="Session pages">
            {query['cursor'] && (
              <a href={first.size ? `${pages.sessions}?${first}` : pages.sessions}>Newest</a>
            )}
            {list.data.nextCursor && <a href={`${pages.sessions}?${next}`}>Older sessions</a>}
          </nav>
        </>
      )}
    </>
  );
}
