import type { SessionDetail } from '../../../api.types.ts';
import { formatDuration, formatTime } from '../format.ts';

/** Who, where, when and how many: the session's summary as a definition list. */
/** `liveCalls`: how many calls the live view has seen the session reach (0: none yet). */
export function SessionFacts({ detail, liveCalls = 0 }: { detail: SessionDetail; liveCalls?: number }) {
  const s = detail.session;
  // Calls that arrived live and are not in the snapshot's count yet.
  const calls = Math.max(s.calls, detail.callCount, liveCalls);
  const end = s.closedAt ?? s.lastAt;
  return (
    <dl class="facts">
      <dt>Agent</dt>
      <dd>
        {s.agent}
        {detail.caller?.groups.length ? (
          <span class="muted"> (groups: {detail.caller.groups.join(', ')})</span>
        ) : null}
      </dd>
      <dt>Cluster</dt>
      <dd>{s.cluster}</dd>
      <dt>Command</dt>
      <dd>{s.command ?? '—'}</dd>
      <dt>Started</dt>
      <dd>{formatTime(s.startedAt)}</dd>
      <dt>Duration</dt>
      <dd>
        {s.state === 'open'
          ? `running for ${formatDuration(Date.now() - s.startedAt)}`
          : formatDuration(end - s.startedAt)}
      </dd>
      <dt>Calls</dt>
      <dd>
        {calls} calls · {s.denials} denied · {s.reviews} reviewed · {s.errors} errors · {s.events} events
      </dd>
      {s.namespaces?.length ? (
        <>
          <dt>Namespaces</dt>
          <dd>{s.namespaces.join(', ')}</dd>
        </>
      ) : null}
      {s.summary && (
        <>
          <dt>Summary</dt>
          <dd class="summary">{s.summary}</dd>
        </>
      )}
    </dl>
  );
}
