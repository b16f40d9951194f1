import type { RecordedEvent, RequestEvent, ResponseEvent } from '../../../src/recording/event.types.ts';
import type { CallRow, StreamSummary } from '../../api.types.ts';

/**
 * A session's events as the console shows them: one row per call (its request, decision and,
 * once answered, its response) in the order the calls were made, and one entry per exec, attach
 * or port-forward. Pure: built from the recorded events, nothing else.
 */
export interface Timeline {
  calls: CallRow[];
  /** The recorded request and response of each call, by request id. */
  byRid: Map<string, { row: CallRow; request: RequestEvent; response?: ResponseEvent }>;
  streams: StreamSummary[];
  caller?: { subject: string; issuer: string; groups: string[] };
  userAgent?: string;
}

export function castUrl(sessionId: string, stream: string): string {
  return `/api/v1/sessions/${sessionId}/streams/${stream}/cast`;
}

export function buildTimeline(sessionId: string, events: readonly RecordedEvent[]): Timeline {
  const timeline: Timeline = { calls: [], byRid: new Map(), streams: [] };
  const streams = new Map<string, StreamSummary>();
  for (const event of events) applyEvent(timeline, streams, sessionId, event);
  return timeline;
}

/** Adds one event; returns what changed (the call or stream row), for the live view. */
export function applyEvent(
  timeline: Timeline,
  streams: Map<string, StreamSummary>,
  sessionId: string,
  event: RecordedEvent,
): { call?: CallRow; stream?: StreamSummary } {
  switch (event.type) {
    case 'session':
      timeline.caller = {
        subject: event.caller.subject,
        issuer: event.caller.issuer,
        groups: [...event.caller.groups],
      };
      if (event.userAgent) timeline.userAgent = event.userAgent;
      return {};
    case 'request': {
      const row = callRow(timeline.calls.length, event);
      timeline.calls.push(row);
      timeline.byRid.set(event.rid, { row, request: event });
      return { call: row };
    }
    case 'response': {
      const entry = timeline.byRid.get(event.rid);
      if (!entry) return {};
      entry.response = event;
      const row = entry.row;
      row.status = event.status;
      row.durationMs = event.durationMs;
      if (event.refusal) row.refusal = event.refusal;
      if (event.message) row.message = event.message;
      if (event.review) row.review = { ...event.review };
      row.hasResponseBody = event.body !== undefined;
      return { call: row };
    }
    case 'stream-open': {
      const summary: StreamSummary = {
        stream: event.stream,
        rid: event.rid,
        kind: event.kind,
        startedAt: event.ts,
        recorded: event.recorded && event.kind !== 'portforward',
      };
      if (event.namespace) summary.namespace = event.namespace;
      if (event.pod) summary.pod = event.pod;
      if (event.container) summary.container = event.container;
      if (event.command) summary.command = [...event.command];
      if (event.tty !== undefined) summary.tty = event.tty;
      if (summary.recorded) summary.castUrl = castUrl(sessionId, event.stream);
      streams.set(event.stream, summary);
      timeline.streams.push(summary);
      const call = timeline.byRid.get(event.rid)?.row;
      if (call) call.stream = event.stream;
      return { stream: summary, ...(call ? { call } : {}) };
    }
    case 'stream-close': {
      const summary = streams.get(event.stream);
      if (!summary) return {};
      summary.durationMs = event.durationMs;
      if (event.exitCode !== undefined) summary.exitCode = event.exitCode;
      return { stream: summary };
    }
    default:
      return {};
  }
}

function callRow(index: number, event: RequestEvent & { seq: number; ts: number }): CallRow {
  const info = event.info;
  const row: CallRow = {
    index,
    rid: event.rid,
    seq: event.seq,
    at: event.ts,
    method: event.method,
    verb: info?.verb ?? event.method.toLowerCase(),
    path: event.path,
    hasRequestBody: event.body !== undefined,
    hasResponseBody: false,
  };
  if (info?.resource) row.resource = info.resource;
  if (info?.subresource) row.subresource = info.subresource;
  if (info?.apiGroup) row.apiGroup = info.apiGroup;
  if (info?.namespace) row.namespace = info.namespace;
  if (info?.name) row.name = info.name;
  if (event.query) row.query = event.query;
  if (event.command) row.command = event.command;
  if (event.decision) row.decision = { ...event.decision };
  if (event.review) row.review = { ...event.review };
  return row;
}
