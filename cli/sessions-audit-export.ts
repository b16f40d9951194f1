import type {
  RecordedEvent,
  RequestEvent,
  ResponseEvent,
  SessionEvent,
} from '../src/recording/event.types.ts';
import { sha256Hex } from '../src/recording/hash-chain.ts';

/**
 * `sessions export ID --format audit`: a session's requests as Kubernetes audit events
 * (`audit.k8s.io/v1` `Event`, stage `ResponseComplete`), one JSON object per line — the shape
 * kube-apiserver's log backend writes, so existing audit pipelines (Falco, SIEM parsers) ingest
 * them as they are. Bodies are the recording's masked bodies (level `RequestResponse` when one
 * was stored, else `Metadata`); the gateway's decision, rule and review go into annotations.
 */

/** A stable UUID-shaped audit id for a request of a session. */
function auditId(sessionId: string, rid: string): string {
  const hex = sha256Hex(`${sessionId}/${rid}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function timestamp(ms: number): string {
  const date = new Date(Math.floor(ms));
  const micros = String(Math.round((ms % 1000) * 1000)).padStart(6, '0');
  return `${date.toISOString().slice(0, 19)}.${micros}Z`;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function auditEvent(
  session: SessionEvent,
  request: RequestEvent & { ts: number },
  response: (ResponseEvent & { ts: number }) | undefined,
): Record<string, unknown> {
  const info = request.info;
  const body = (record: RequestEvent['body']) => record?.json;
  const requestObject = body(request.body);
  const responseObject = body(response?.body);
  const annotations: Record<string, string> = { 'hoop.dev/session': session.session };
  if (request.decision) {
    annotations['authorization.k8s.io/decision'] = request.decision.action === 'deny' ? 'forbid' : 'allow';
    annotations['authorization.k8s.io/reason'] = `hoop-gateway policy rule "${request.decision.rule}"`;
    annotations['hoop.dev/decision'] = request.decision.action;
  }
  const review = response?.review ?? request.review;
  if (review) annotations['hoop.dev/review'] = `${review.id}${review.state ? ` (${review.state})` : ''}`;
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: requestObject !== undefined || responseObject !== undefined ? 'RequestResponse' : 'Metadata',
    auditID: auditId(session.session, request.rid),
    stage: 'ResponseComplete',
    requestURI: `${request.path}${request.query ? `?${request.query}` : ''}`,
    verb: info?.verb ?? request.method.toLowerCase(),
    user: { username: session.caller.subject, groups: session.caller.groups },
    sourceIPs: [],
    userAgent: single(request.headers['user-agent']) ?? session.userAgent ?? '',
    responseStatus: {
      metadata: {},
      code: response?.status ?? 0,
      ...(response?.message ? { message: response.message, status: 'Failure' } : {}),
    },
    requestReceivedTimestamp: timestamp(request.ts),
    stageTimestamp: timestamp(response?.ts ?? request.ts),
    annotations,
  };
  if (info?.resource) {
    event['objectRef'] = {
      resource: info.resource,
      ...(info.namespace ? { namespace: info.namespace } : {}),
      ...(info.name ? { name: info.name } : {}),
      apiGroup: info.apiGroup ?? '',
      apiVersion: info.apiVersion ?? '',
      ...(info.subresource ? { subresource: info.subresource } : {}),
    };
  }
  if (requestObject !== undefined) event['requestObject'] = requestObject;
  if (responseObject !== undefined) event['responseObject'] = responseObject;
  return event;
}

/** The audit events of a session's recorded events, one per request, in request order. */
export function auditEvents(events: readonly RecordedEvent[]): Record<string, unknown>[] {
  const session = events.find((event): event is SessionEvent & RecordedEvent => event.type === 'session');
  if (!session) return [];
  const responses = new Map<string, ResponseEvent & { ts: number }>();
  for (const event of events) if (event.type === 'response') responses.set(event.rid, event);
  return events
    .filter((event): event is RequestEvent & RecordedEvent => event.type === 'request')
    .map((request) => auditEvent(session, request, responses.get(request.rid)));
}
