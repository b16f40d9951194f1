import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../../console/server/api/timeline.ts';
import type { RecordedEvent } from '../../../src/recording/event.types.ts';

const head = (seq: number) => ({ v: 1 as const, seq, prev: 'p', hash: 'h', ts: 1000 + seq, by: 'test' });
const EVENTS: RecordedEvent[] = [
  {
    ...head(1),
    type: 'session',
    session: 's-7k2m9xq4ad',
    kind: 'kubectl',
    caller: { issuer: 'https://idp', subject: 'agent-1', groups: ['ai-agents'], claims: {} },
    cluster: 'sandbox',
    userAgent: 'kubectl/v1.33.0',
  },
  {
    ...head(2),
    type: 'request',
    rid: 'r-aaaaaaaa',
    method: 'GET',
    path: '/api/v1/namespaces/default/pods',
    headers: {},
    info: { verb: 'list', resource: 'pods', namespace: 'default', apiVersion: 'v1' },
    decision: { action: 'allow', rule: 'agents-read' },
    command: 'kubectl get',
  },
  {
    ...head(3),
    type: 'request',
    rid: 'r-bbbbbbbb',
    method: 'POST',
    path: '/api/v1/namespaces/payments/pods/ledger-0/exec',
    headers: {},
    info: { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'ledger-0' },
  },
  {
    ...head(4),
    type: 'response',
    rid: 'r-aaaaaaaa',
    status: 200,
    durationMs: 12,
    body: { size: 2, sha256: 'x', json: {} },
  },
  {
    ...head(5),
    type: 'stream-open',
    rid: 'r-bbbbbbbb',
    stream: 'x1',
    kind: 'exec',
    protocol: 'v5.channel.k8s.io',
    recorded: true,
    command: ['cat'],
    pod: 'ledger-0',
    namespace: 'payments',
  },
  { ...head(6), type: 'stream-data', stream: 'x1', frames: [[1, 1, 'aGk=']] },
  {
    ...head(7),
    type: 'stream-close',
    stream: 'x1',
    durationMs: 50,
    exitCode: 0,
    bytes: { fromClient: 0, toClient: 2 },
  },
  { ...head(8), type: 'response', rid: 'r-bbbbbbbb', status: 101, durationMs: 60 },
];

describe('a session timeline', () => {
  it('has one row per call in request order, each completed by its response, and the streams', () => {
    const timeline = buildTimeline('s-7k2m9xq4ad', EVENTS);
    expect(timeline.caller).toEqual({ subject: 'agent-1', issuer: 'https://idp', groups: ['ai-agents'] });
    expect(timeline.userAgent).toBe('kubectl/v1.33.0');
    expect(timeline.calls).toEqual([
      {
        index: 0,
        rid: 'r-aaaaaaaa',
        seq: 2,
        at: 1002,
        method: 'GET',
        verb: 'list',
        resource: 'pods',
        namespace: 'default',
        path: '/api/v1/namespaces/default/pods',
        command: 'kubectl get',
        decision: { action: 'allow', rule: 'agents-read' },
        status: 200,
        durationMs: 12,
        hasRequestBody: false,
        hasResponseBody: true,
      },
      {
        index: 1,
        rid: 'r-bbbbbbbb',
        seq: 3,
        at: 1003,
        method: 'POST',
        verb: 'create',
        resource: 'pods',
        subresource: 'exec',
        namespace: 'payments',
        name: 'ledger-0',
        path: '/api/v1/namespaces/payments/pods/ledger-0/exec',
        stream: 'x1',
        status: 101,
        durationMs: 60,
        hasRequestBody: false,
        hasResponseBody: false,
      },
    ]);
    expect(timeline.streams).toEqual([
      {
        stream: 'x1',
        rid: 'r-bbbbbbbb',
        kind: 'exec',
        startedAt: 1005,
        recorded: true,
        namespace: 'payments',
        pod: 'ledger-0',
        command: ['cat'],
        castUrl: '/api/v1/sessions/s-7k2m9xq4ad/streams/x1/cast',
        durationMs: 50,
        exitCode: 0,
      },
    ]);
  });

  it('builds 10,000 calls without trouble and keeps their order', () => {
    const many: RecordedEvent[] = [];
    for (let i = 0; i < 10_000; i++) {
      many.push({ ...head(i + 1), type: 'request', rid: `r-${i}`, method: 'GET', path: '/api', headers: {} });
    }
    const timeline = buildTimeline('s-7k2m9xq4ad', many);
    expect(timeline.calls).toHaveLength(10_000);
    expect(timeline.calls[9_999]).toMatchObject({ index: 9_999, rid: 'r-9999', verb: 'get' });
  });
});
