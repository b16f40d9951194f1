import type { SessionMeta } from '../../../src/recording/session-index.ts';
import type { SessionOutcome, SessionSummary } from '../../api.types.ts';

const OUTCOMES = new Set<string>(['clean', 'denied', 'reviewed', 'error']);

/** A session's index entry as a row of the sessions list. */
export function sessionSummary(meta: SessionMeta): SessionSummary {
  const summary: SessionSummary = {
    id: meta.id,
    state: meta.state,
    live: meta.state === 'open',
    kind: meta.kind,
    agent: meta.agent,
    issuer: meta.issuer,
    cluster: meta.cluster,
    startedAt: meta.startedAt,
    lastAt: meta.lastAt,
    events: meta.count ?? meta.seq,
    calls: meta.requests,
    denials: meta.denied,
    reviews: meta.reviews.length,
    errors: meta.errors,
    outcomes: meta.outcomes.filter((o): o is SessionOutcome => OUTCOMES.has(o)),
    namespaces: meta.namespaces,
    hasExec: meta.hasExec,
  };
  if (meta.command) summary.command = meta.command;
  if (meta.closedAt) summary.closedAt = meta.closedAt;
  if (meta.summary) summary.summary = meta.summary;
  return summary;
}
