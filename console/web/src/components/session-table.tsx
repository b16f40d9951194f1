import type { SessionSummary } from '../../../api.types.ts';
import { pages } from '../api/paths.ts';
import { formatDuration, formatTime, isoTime } from '../format.ts';

/** One row per session: open it by its id link (keyboard: Tab to the link, Enter). */
export function SessionTable({ items }: { items: SessionSummary[] }) {
  if (items.length === 0) return <p class="empty">No sessions match these filters.</p>;
  return (
    <div class="table-scroll">
      <table class="sessions">
        <caption class="visually-hidden">Sessions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Started</th>
            <th scope="col">Agent</th>
            <th scope="col">Cluster</th>
            <th scope="col">Command</th>
            <th scope="col" class="num">
              Calls
            </th>
            <th scope="col" class="num">
              Denied
            </th>
            <th scope="col" class="num">
              Reviews
            </th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td data-label="Session">
                <a href={pages.session(s.id)}>{s.id}</a>
                {s.live && <LiveMarker />}
                {s.hasExec && <span class="tag">exec</span>}
              </td>
              <td data-label="Started">
                <time dateTime={isoTime(s.startedAt)}>{formatTime(s.startedAt)}</time>
              </td>
              <td data-label="Agent">{s.agent}</td>
              <td data-label="Cluster">{s.cluster}</td>
              <td data-label="Command">{s.command ?? '—'}</td>
              <td data-label="Calls" class="num">
                {s.calls}
              </td>
              <td data-label="Denied" class={s.denials ? 'num bad' : 'num'}>
                {s.denials}
              </td>
              <td data-label="Reviews" class={s.reviews ? 'num warn' : 'num'}>
                {s.reviews}
              </td>
              <td data-label="Duration">
                {s.state === 'open' ? 'running' : formatDuration((s.closedAt ?? s.lastAt) - s.startedAt)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LiveMarker() {
  return (
    <span class="live-marker" title="Running: new calls appear as they happen">
      live
    </span>
  );
}
