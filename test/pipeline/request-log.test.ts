import { describe, expect, it } from 'vitest';
import { requestLog } from '../../gateway/pipeline/request-log.ts';
import type { Handler, RequestContext } from '../../gateway/request-context.ts';
import { StatusError } from '../../src/errors.ts';
import { classifyRequest } from '../../src/request/request-info.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { type ContextFields, runStage } from '../support/run-stage.ts';

/**
 * requestLog promises: any error below it becomes a Kubernetes Status (a StatusError keeps its
 * code, reason, message and headers; anything else is a 500 whose details stay in the log), a
 * response already under way is cut rather than finished short, and exactly one `request` line is
 * written per request with identity, request info, decision, status and duration, never headers.
 */

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJlLXZhbHVl';

const fail =
  (error: unknown): Handler =>
  async () => {
    throw error;
  };

interface Row {
  name: string;
  next: Handler | undefined;
  status: number;
  reason?: string;
  message?: string | RegExp;
  headers?: Record<string, string>;
  logged: Record<string, unknown>;
  /** Fields the line must not carry. */
  notLogged?: string[];
  /** Another line (besides `request`) the stage must have logged, by message. */
  alsoLogged?: string;
}

const rows: Row[] = [
  {
    name: 'an answered request: passes the response through, logs its status',
    next: undefined,
    status: 200,
    logged: { status: 200, method: 'GET' },
    notLogged: ['refusal'],
  },
  {
    name: 'a StatusError: its code, reason and message, and the reason as the refusal',
    next: fail(new StatusError(403, 'Forbidden', 'not for you')),
    status: 403,
    reason: 'Forbidden',
    message: 'not for you',
    logged: { status: 403, refusal: 'Forbidden' },
  },
  {
    name: 'a StatusError with headers: the headers reach the client (Retry-After on a 429)',
    next: fail(new StatusError(429, 'TooManyRequests', 'wait', { headers: { 'retry-after': '7' } })),
    status: 429,
    reason: 'TooManyRequests',
    headers: { 'retry-after': '7' },
    logged: { status: 429, refusal: 'TooManyRequests' },
  },
  {
    name: 'a refusal the stage below named: kept over the Status reason',
    next: async (ctx) => {
      ctx.refusal = 'policy';
      throw new StatusError(403, 'Forbidden', 'denied by rule');
    },
    status: 403,
    logged: { status: 403, refusal: 'policy' },
  },
  {
    name: 'any other error: a 500 with a generic message; the details go to the log only',
    next: fail(new Error('database password is hunter2')),
    status: 500,
    reason: 'InternalError',
    message: 'the gateway failed to handle this request; see the gateway log',
    logged: { status: 500, refusal: 'InternalError' },
    alsoLogged: 'request failed',
  },
];

describe('requestLog', () => {
  it.each(rows)('$name', async (row) => {
    const log = memoryLogger();
    const run = await runStage(requestLog(log.logger), { url: '/clusters/c/api', next: row.next });

    expect(run.next.calls).toBe(1);
    // requestLog answers errors itself; the helper's own fallback must not be what answered.
    expect(run.thrown).toBeUndefined();
    expect(run.status).toBe(row.status);
    if (row.reason)
      expect(run.kubeStatus).toMatchObject({ kind: 'Status', code: row.status, reason: row.reason });
    if (row.message) expect(run.kubeStatus?.message).toMatch(row.message);
    if (row.headers) expect(run.headers).toMatchObject(row.headers);
    const requestLines = log.lines.filter((line) => line['msg'] === 'request');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject(row.logged);
    for (const field of row.notLogged ?? []) expect(requestLines[0]).not.toHaveProperty(field);
    if (row.alsoLogged) expect(log.lines.map((line) => line['msg'])).toContain(row.alsoLogged);
    else expect(log.lines).toHaveLength(1);
  });

  it('keeps the details of an unexpected error out of the response and in the log', async () => {
    const log = memoryLogger();
    const run = await runStage(requestLog(log.logger), {
      next: fail(new Error('database password is hunter2')),
    });
    expect(run.body).not.toContain('hunter2');
    const failed = log.lines.find((line) => line['msg'] === 'request failed');
    expect(JSON.stringify(failed?.['err'])).toContain('hunter2');
  });

  it('cuts a response already under way instead of appending a Status to it', async () => {
    const log = memoryLogger();
    const run = await runStage(requestLog(log.logger), {
      next: async (ctx) => {
        ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        ctx.res.write('{"items":[');
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('upstream went away mid-body');
      },
    });
    expect(run.status).toBe(200);
    expect(run.complete).toBe(false);
    expect(run.body).toBe('{"items":[');
    expect(log.lines.filter((line) => line['msg'] === 'request')).toHaveLength(1);
  });

  it('logs identity, request info, decision, review and masking from the context', async () => {
    const log = memoryLogger();
    const ctx: ContextFields = {
      cluster: { name: 'prod', target: undefined as never, upstreamTimeoutMs: 1000 },
      caller: { issuer: 'https://issuer.test', subject: 'agent-7', groups: ['agents'], claims: {} },
      info: classifyRequest('GET', '/api/v1/namespaces/payments/pods/web-1/log', ''),
      decision: { action: 'review', rule: 'prod-logs' },
      review: { id: 'r-123', outcome: 'approved' },
      masked: 3,
    };
    await runStage(requestLog(log.logger), {
      ctx,
      headers: { 'kubectl-command': 'kubectl logs' },
    });
    expect(log.lines[0]).toMatchObject({
      msg: 'request',
      cluster: 'prod',
      subject: 'agent-7',
      groups: ['agents'],
      issuer: 'https://issuer.test',
      verb: 'get',
      resource: 'pods/log',
      namespace: 'payments',
      name: 'web-1',
      decision: 'review',
      rule: 'prod-logs',
      review: 'r-123',
      reviewOutcome: 'approved',
      masked: 3,
      status: 200,
      kubectlCommand: 'kubectl logs',
      durationMs: expect.any(Number),
    });
  });

  it('logs a non-resource request by its path', async () => {
    const log = memoryLogger();
    await runStage(requestLog(log.logger), { ctx: { info: classifyRequest('GET', '/version', '') } });
    expect(log.lines[0]).toMatchObject({ verb: 'get', path: '/version' });
    expect(log.lines[0]).not.toHaveProperty('resource');
  });

  it('never logs headers: the bearer token and cookies appear nowhere', async () => {
    const log = memoryLogger();
    await runStage(requestLog(log.logger), {
      headers: { authorization: `Bearer ${TOKEN}`, cookie: 'session=cookie-secret' },
      next: fail(new StatusError(401, 'Unauthorized', 'bad token')),
    });
    expect(log.lines).toHaveLength(1);
    expect(log.text()).not.toContain(TOKEN.split('.')[1]);
    expect(log.text()).not.toContain('cookie-secret');
  });

  it('marks an upgrade request in its line', async () => {
    const log = memoryLogger();
    const run = await runStage(requestLog(log.logger), { upgrade: true });
    expect(run.status).toBe(200);
    expect(log.lines[0]).toMatchObject({ msg: 'request', upgrade: true });
  });

  it('writes its line only once the response is finished', async () => {
    const log = memoryLogger();
    let linesBeforeEnd = -1;
    const run = await runStage(requestLog(log.logger), {
      // Returns at once and finishes the response later, as a streamed watch or log does.
      next: async (ctx: RequestContext) => {
        ctx.res.writeHead(200);
        ctx.res.write('partial');
        setTimeout(() => {
          linesBeforeEnd = log.lines.length;
          ctx.res.end();
        }, 30);
      },
    });
    expect(run.complete).toBe(true);
    expect(linesBeforeEnd).toBe(0);
    expect(log.lines).toHaveLength(1);
  });
});
