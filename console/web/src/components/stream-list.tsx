import type { StreamSummary } from '../../../api.types.ts';
import { pages } from '../api/paths.ts';
import { formatDuration } from '../format.ts';

/** The session's exec/attach streams, each linking to its replay when it was recorded. */
export function StreamList({ sessionId, streams }: { sessionId: string; streams: StreamSummary[] }) {
  if (streams.length === 0) return null;
  return (
    <section aria-labelledby="streams-title">
      <h2 id="streams-title">Exec and attach</h2>
      <ul class="streams">
        {streams.map((s) => {
          const where =
            [s.namespace, s.pod].filter(Boolean).join('/') + (s.container ? ` (${s.container})` : '');
          const label = `${s.kind} ${s.command?.join(' ') ?? ''} in ${where}`;
          return (
            <li key={s.stream}>
              {s.recorded ? (
                <a href={pages.stream(sessionId, s.stream)}>Replay {label}</a>
              ) : (
                <span>{label}</span>
              )}
              <span class="muted">
                {' '}
                · {s.durationMs === undefined ? 'running' : formatDuration(s.durationMs)}
                {s.exitCode === undefined ? '' : ` · exit ${s.exitCode}`}
                {s.recorded ? '' : ' · not recorded frame by frame'}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
