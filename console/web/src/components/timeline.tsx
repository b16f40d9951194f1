import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { CallPage, CallRow } from '../../../api.types.ts';
import { api, pages } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { describeTarget, formatDuration, formatTime, isoTime } from '../format.ts';
import { CallDetails } from './call-details.tsx';

/** Calls per page: a session of 10,000 events paints one page, never the whole session. */
export const TIMELINE_PAGE = 100;

interface TimelineProps {
  sessionId: string;
  /** Calls that arrived live (Server-Sent Events), upserted over the loaded page by `rid`. */
  liveCalls?: ReadonlyMap<string, CallRow>;
}

/** The session's calls in order, a page at a time; a row expands into its masked bodies. */
export function Timeline({ sessionId, liveCalls }: TimelineProps) {
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<string>();
  const page = useApi<CallPage>(api.calls(sessionId, offset, TIMELINE_PAGE));
  useEffect(() => setOpen(undefined), [offset]);

  if (page.state === 'failed') return <p role="alert">Could not load the calls: {page.error.message}</p>;
  if (!page.data) return <p role="status">Loading calls…</p>;

  // The page on screen may still be the previous one while the next loads: label and rows
  // both follow the page shown, never the offset asked for.
  const shown = page.data.offset;
  const rows = merge(page.data, liveCalls, shown);
  const total = Math.max(page.data.total, shown + rows.length);
  const last = shown + rows.length;
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Timeline</h2>
      <p class="muted" data-testid="timeline-range">
        {total === 0 ? 'No calls yet.' : `Calls ${shown + 1}–${last} of ${total}`}
      </p>
      <div class="table-scroll">
        <table class="timeline">
          <thead>
            <tr>
              <th scope="col" class="num">
                #
              </th>
              <th scope="col">Time</th>
              <th scope="col">Call</th>
              <th scope="col">Status</th>
              <th scope="col">Decision</th>
              <th scope="col">Duration</th>
              <th scope="col">kubectl</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((call) => (
              <Fragment key={call.rid}>
                <CallLine
                  call={call}
                  sessionId={sessionId}
                  expanded={open === call.rid}
                  onToggle={() => setOpen(open === call.rid ? undefined : call.rid)}
                />
                {open === call.rid && (
                  <tr class="expansion">
                    <td colSpan={7} id={`call-${call.rid}`}>
                      <CallDetails sessionId={sessionId} rid={call.rid} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Timeline pages">
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - TIMELINE_PAGE))}
        >
          Previous calls
        </button>
        <button type="button" disabled={last >= total} onClick={() => setOffset(offset + TIMELINE_PAGE)}>
          Next calls
        </button>
      </nav>
    </section>
  );
}

/** The loaded page with live updates applied: changed rows replaced, new rows in this page's range appended. */
function merge(page: CallPage, live: ReadonlyMap<string, CallRow> | undefined, offset: number): CallRow[] {
  if (!live?.size) return page.items;
  const rows = page.items.map((row) => live.get(row.rid) ?? row);
  const known = new Set(rows.map((row) => row.rid));
  for (const row of live.values()) {
    if (!known.has(row.rid) && row.index >= offset && row.index < offset + TIMELINE_PAGE) rows.push(row);
  }
  return rows.sort((a, b) => a.index - b.index);
}

function CallLine(props: { call: CallRow; sessionId: string; expanded: boolean; onToggle: () => void }) {
  const { call } = props;
  const decision = call.decision;
  return (
    <tr class={`call ${statusClass(call.status)}`} data-rid={call.rid}>
      <td class="num">{call.index + 1}</td>
      <td>
        <time dateTime={isoTime(call.at)}>{formatTime(call.at)}</time>
      </td>
      <td>
        <button
          type="button"
          class="link"
          aria-expanded={props.expanded}
          aria-controls={`call-${call.rid}`}
          onClick={props.onToggle}
        >
          {call.resource ? describeTarget(call) : `${call.verb} ${call.path}`}
        </button>
        {call.stream && (
          <a class="tag" href={pages.stream(props.sessionId, call.stream)}>
            replay {call.stream}
          </a>
        )}
      </td>
      <td>{call.status ?? <span class="muted">{call.stream ? 'running' : 'pending'}</span>}</td>
      <td>
        {decision ? (
          <span class={`decision ${decision.action}`} title={`rule ${decision.rule}`}>
            {decision.action} · {decision.rule}
          </span>
        ) : (
          '—'
        )}
        {call.review && <a href={pages.review(call.review.id)}> review {call.review.state ?? ''}</a>}
        {call.refusal && <div class="muted">{call.refusal}</div>}
      </td>
      <td>{formatDuration(call.durationMs)}</td>
      <td>{call.command ?? '—'}</td>
    </tr>
  );
}

function statusClass(status: number | undefined): string {
  if (status === undefined) return 'pending';
  if (status >= 500) return 'failed';
  if (status >= 400) return 'refused';
  return 'ok';
}
