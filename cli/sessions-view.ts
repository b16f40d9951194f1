import { consoleSessionUrl } from '../src/config/console.ts';
import type { RecordedEvent, RequestEvent } from '../src/recording/event.types.ts';
import type { SessionMeta } from '../src/recording/session-index.ts';
import { sessionFacts, summaryText } from '../src/recording/summary.ts';

/**
 * What `sessions list` and `sessions show` print: a table of sessions, and one session's summary
 * followed by its timeline — every request with its decision, review, status and duration, every
 * stream with its exit status or byte counts — in the order the gateway recorded them.
 */

function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderList(sessions: readonly SessionMeta[]): string {
  if (sessions.length === 0) return 'no recorded sessions match\n';
  const rows = [['ID', 'STARTED', 'DURATION', 'AGENT', 'CLUSTER', 'COMMAND', 'REQUESTS', 'STATE']];
  for (const s of sessions) {
    const state = s.state === 'open' ? 'open' : s.outcomes.length > 0 ? s.outcomes.join(',') : 'closed';
    rows.push([
      s.id,
      when(s.startedAt),
      seconds(s.lastAt - s.startedAt),
      s.agent,
      s.cluster,
      s.command ?? '-',
      String(s.requests),
      state,
    ]);
  }
  return `${table(rows)}\n`;
}

function requestLine(event: RequestEvent): string {
  const target = `${event.method} ${event.path}${event.query ? `?${event.query}` : ''}`;
  const decision = event.decision ? ` [${event.decision.action} by ${event.decision.rule}]` : '';
  return `${target}${decision}`;
}

/** One session: header, summary, timeline. */
export function renderShow(
  id: string,
  meta: SessionMeta | undefined,
  events: readonly RecordedEvent[],
  consoleUrl?: string,
): string {
  const first = events[0];
  const start = first?.ts ?? meta?.startedAt ?? 0;
  const out: string[] = [];
  const state = meta ? `${meta.state}${meta.archive ? `, archived as ${meta.archive}` : ''}` : 'archive only';
  out.push(`session ${id} (${state})`);
  if (consoleUrl) out.push(`console: ${consoleSessionUrl(consoleUrl, id)}`);
  out.push('');
  out.push(meta?.summary ?? summaryText(sessionFacts(events)));
  out.push('');
  out.push('timeline:');
  const requests = new Map<string, RequestEvent>();
  for (const event of events) {
    const at = `+${((event.ts - start) / 1000).toFixed(3)}s`.padStart(10);
    const line = (text: string) => out.push(`${at}  ${text}`);
    switch (event.type) {
      case 'session':
        line(
          `session opened by ${event.caller.subject} (${event.caller.groups.join(', ') || 'no groups'}) on ${event.cluster}${event.command ? `: ${event.command}` : ''}`,
        );
        break;
      case 'request':
        requests.set(event.rid, event);
        line(`${event.rid} → ${requestLine(event)}${event.body ? ` body ${bodyNote(event.body)}` : ''}`);
        break;
      case 'response': {
        const review = event.review ? ` review ${event.review.id} (${event.review.state ?? '?'})` : '';
        const refusal = event.refusal ? ` refused: ${event.refusal}` : '';
        const body = event.body ? ` body ${bodyNote(event.body)}` : '';
        line(`${event.rid} ← ${event.status} in ${seconds(event.durationMs)}${review}${refusal}${body}`);
        if (event.message) out.push(`${' '.repeat(12)}${event.message}`);
        break;
      }
      case 'stream-open': {
        const what = event.kind === 'exec' ? `exec \`${(event.command ?? []).join(' ')}\`` : event.kind;
        const ports = event.ports ? ` ports ${event.ports.join(',')}` : '';
        line(
          `${event.rid} ${what} in ${event.namespace}/${event.pod}${ports} over ${event.protocol}${event.recorded ? '' : ' (not recorded frame by frame)'}`,
        );
        break;
      }
      case 'stream-data':
        break;
      case 'stream-close': {
        const exit =
          event.exitCode !== undefined
            ? `exit ${event.exitCode}, `
            : event.status?.message
              ? `${event.status.message}, `
              : '';
        const ports = event.ports ? `ports ${event.ports.join(',')}, ` : '';
        const bytes = `${event.bytes.fromClient} bytes in, ${event.bytes.toClient} bytes out`;
        line(`${event.stream} stream closed after ${seconds(event.durationMs)}: ${exit}${ports}${bytes}`);
        break;
      }
    }
  }
  return `${out.join('\n')}\n`;
}

function bodyNote(body: NonNullable<RequestEvent['body']>): string {
  const type = body.contentType ?? 'unknown type';
  const masked = body.masked ? `, ${body.masked} masked` : '';
  const omitted = body.omitted
    ? `, content not stored (${body.omitted})`
    : body.truncated
      ? ', head only'
      : '';
  return `(${type}, ${body.size} bytes${masked}${omitted})`;
}
