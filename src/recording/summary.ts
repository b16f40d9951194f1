import type { RecordedEvent, RequestEvent } from './event.types.ts';

/**
 * The summary of a closed session: what the chat bot threads under the session's approval cards
 * and what `sessions show` prints first. Plain text (the bot escapes it), a few short lines:
 *
 * ```
 * Session s-7k2m9xq4ad: agent-1 on sandbox, 4.2 s (2025-06-01 12:00:01 UTC)
 * Commands: kubectl delete
 * Requests: 3 (get 1, list 1, delete 1)
 * Reviews: 1 held, 1 approved, 0 rejected; 0 blocked by policy
 * Masked values: 2
 * Exec: `cat` in default/web-1: exit 0
 * Errors: none
 * ```
 */

export interface SessionFacts {
  id: string;
  agent: string;
  cluster: string;
  startedAt: number;
  endedAt: number;
  commands: string[];
  verbs: Map<string, number>;
  requests: number;
  held: number;
  approved: number;
  rejected: number;
  blocked: number;
  masked: number;
  execs: Array<{ what: string; exitCode: number | undefined }>;
  errors: Array<{ status: number; what: string }>;
  reviewIds: string[];
  /** `clean`, or any of `denied`, `reviewed`, `error`. */
  outcomes: string[];
}

const APPROVED = /^(approved|auto-approved)/;
/** Statuses that are part of normal flows: kubectl apply and delete --wait look for missing objects. */
const NOT_ERRORS = new Set([404, 429]);

/** Gathers the facts a summary and the outcome index need from a session's events. */
export function sessionFacts(events: readonly RecordedEvent[]): SessionFacts {
  const first = events[0];
  const facts: SessionFacts = {
    id: first?.type === 'session' ? first.session : '',
    agent: first?.type === 'session' ? first.caller.subject : '',
    cluster: first?.type === 'session' ? first.cluster : '',
    startedAt: first?.ts ?? 0,
    endedAt: events[events.length - 1]?.ts ?? 0,
    commands: [],
    verbs: new Map(),
    requests: 0,
    ...{ held: 0, approved: 0, rejected: 0, blocked: 0, masked: 0 },
    execs: [],
    errors: [],
    reviewIds: [],
    outcomes: [],
  };
  const commands = new Set<string>(first?.type === 'session' && first.command ? [first.command] : []);
  const requests = new Map<string, RequestEvent>();
  const reviews = new Map<string, string>();
  const opens = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'request') {
      requests.set(event.rid, event);
      facts.requests += 1;
      const verb = event.info?.verb ?? event.method.toLowerCase();
      facts.verbs.set(verb, (facts.verbs.get(verb) ?? 0) + 1);
      if (event.command) commands.add(event.command);
      facts.masked += event.body?.masked ?? 0;
    } else if (event.type === 'response') {
      facts.masked += event.body?.masked ?? 0;
      if (event.review) reviews.set(event.review.id, event.review.state ?? '');
      const request = requests.get(event.rid);
      const what = request ? `${request.method} ${request.path}` : event.rid;
      if (event.refusal === 'policy') facts.blocked += 1;
      else if (
        event.status >= 500 ||
        (event.status >= 400 && !NOT_ERRORS.has(event.status) && !event.review)
      ) {
        facts.errors.push({ status: event.status, what });
      }
    } else if (event.type === 'stream-open' && event.kind !== 'portforward') {
      const where = [event.namespace, event.pod].filter(Boolean).join('/');
      const what = event.kind === 'exec' ? `\`${(event.command ?? []).join(' ')}\`` : 'attach';
      opens.set(event.stream, `${what}${where ? ` in ${where}` : ''}`);
    } else if (event.type === 'stream-close' && opens.has(event.stream)) {
      facts.execs.push({ what: opens.get(event.stream)!, exitCode: event.exitCode });
      opens.delete(event.stream);
      facts.masked += event.masked ?? 0;
    }
  }
  for (const what of opens.values()) facts.execs.push({ what, exitCode: undefined });
  facts.commands = [...commands];
  facts.reviewIds = [...reviews.keys()];
  facts.held = reviews.size;
  for (const state of reviews.values()) {
    if (APPROVED.test(state)) facts.approved += 1;
    else if (state === 'rejected' || state === 'expired' || state === 'cancelled') facts.rejected += 1;
  }
  if (facts.blocked > 0) facts.outcomes.push('denied');
  if (facts.held > 0) facts.outcomes.push('reviewed');
  if (facts.errors.length > 0) facts.outcomes.push('error');
  if (facts.outcomes.length === 0) facts.outcomes.push('clean');
  return facts;
}

/** The summary text for a session's facts. */
export function summaryText(facts: SessionFacts): string {
  const seconds = Math.max(0, facts.endedAt - facts.startedAt) / 1000;
  const duration =
    seconds < 60
      ? `${seconds.toFixed(1)} s`
      : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  const started = new Date(facts.startedAt)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const verbs = [...facts.verbs.entries()].sort((a, b) => b[1] - a[1]).map(([verb, n]) => `${verb} ${n}`);
  const lines = [
    `Session ${oneLine(facts.id)}: ${oneLine(facts.agent)} on ${oneLine(facts.cluster)}, ${duration} (${started})`,
    `Commands: ${facts.commands.length > 0 ? facts.commands.map(oneLine).join(', ') : '(not kubectl)'}`,
    `Requests: ${facts.requests}${verbs.length > 0 ? ` (${verbs.join(', ')})` : ''}`,
    `Reviews: ${facts.held} held, ${facts.approved} approved, ${facts.rejected} rejected; ${facts.blocked} blocked by policy`,
    `Masked values: ${facts.masked}`,
  ];
  for (const exec of facts.execs.slice(0, 10)) {
    lines.push(
      `Exec: ${oneLine(exec.what)}: ${exec.exitCode === undefined ? 'no exit status' : `exit ${exec.exitCode}`}`,
    );
  }
  if (facts.errors.length === 0) lines.push('Errors: none');
  else {
    const shown = facts.errors.slice(0, 5).map((e) => `${e.status} ${oneLine(e.what)}`);
    const more = facts.errors.length > 5 ? ` and ${facts.errors.length - 5} more` : '';
    lines.push(`Errors: ${facts.errors.length} (${shown.join('; ')}${more})`);
  }
  return lines.join('\n');
}

/**
 * A caller-controlled value (a Kubectl-Command header, an exec command line, a decoded request
 * path) on one line: line breaks and other control characters become spaces, so a value cannot
 * start a summary line of its own that reads like one of ours ("Reviews: 0 held…").
 */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}
