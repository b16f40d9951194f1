import { useLocation } from 'preact-iso';
import { pages } from '../api/paths.ts';

/** The filters the sessions API takes (SessionListQuery), kept in the page's URL so they can be shared. */
export const FILTER_KEYS = [
  'agent',
  'cluster',
  'namespace',
  'since',
  'until',
  'outcome',
  'hasExec',
  'hadReview',
];

/** `datetime-local` gives local wall time without a zone; the API wants an instant. */
function toIso(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function SessionFilters() {
  const { query, route } = useLocation();

  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const params = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = String(form.get(key) ?? '').trim();
      if (value) params.set(key, key === 'since' || key === 'until' ? toIso(value) : value);
    }
    route(params.size ? `${pages.sessions}?${params}` : pages.sessions);
  };

  return (
    <form class="filters" onSubmit={apply} aria-label="Filter sessions" key={JSON.stringify(query)}>
      <label>
        Agent
        <input name="agent" type="search" placeholder="subject contains…" value={query['agent'] ?? ''} />
      </label>
      <label>
        Cluster
        <input name="cluster" type="search" value={query['cluster'] ?? ''} />
      </label>
      <label>
        Namespace
        <input name="namespace" type="search" value={query['namespace'] ?? ''} />
      </label>
      <label>
        From
        <input name="since" type="datetime-local" value={toLocalInput(query['since'])} />
      </label>
      <label>
        To
        <input name="until" type="datetime-local" value={toLocalInput(query['until'])} />
      </label>
      <label>
        Outcome
        <select name="outcome" value={query['outcome'] ?? ''}>
          <option value="">any</option>
          <option value="clean">clean</option>
          <option value="denied">denied by policy</option>
          <option value="reviewed">held for review</option>
          <option value="error">error</option>
        </select>
      </label>
      <label>
        Exec
        <select name="hasExec" value={query['hasExec'] ?? ''}>
          <option value="">any</option>
          <option value="true">with exec</option>
          <option value="false">without exec</option>
        </select>
      </label>
      <label>
        Review
        <select name="hadReview" value={query['hadReview'] ?? ''}>
          <option value="">any</option>
          <option value="true">had a review</option>
          <option value="false">no review</option>
        </select>
      </label>
      <div class="filter-actions">
        <button type="submit" class="primary">
          Apply
        </button>
        <a href={pages.sessions}>Clear</a>
      </div>
    </form>
  );
}
