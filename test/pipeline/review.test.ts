import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedApprovals, startApprovals } from '../../gateway/approvals/start.ts';
import { review } from '../../gateway/pipeline/review.ts';
import type { DecisionSummary } from '../../gateway/request-context.ts';
import type { Review } from '../../src/approvals/review.types.ts';
import {
  createDecisionSigner,
  createKeyring,
  generateDecisionKeyPair,
} from '../../src/approvals/signing/decision-keys.ts';
import type { GatewaySigning } from '../../src/approvals/signing/load-signing.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { approvalsSchema, resolveApprovals } from '../../src/config/approvals.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import type { ReviewSpec } from '../../src/policy/policy.types.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { runStage } from '../support/run-stage.ts';
import { caller, cluster, info } from '../support/stage-fixtures.ts';

/**
 * review promises: a request the policy did not send to review passes straight through, its body
 * unread; with approvals off a review-bound request is a 503 saying so; otherwise the body is read
 * (413 over `maxBodyBytes`, before any review is opened) and the request is held: approved or
 * auto-approved → next, with the review in the context and the body in `ctx.body`; rejected →
 * 403 saying by whom and why; still pending after `holdSeconds` → 429 with Retry-After; a client
 * that hangs up → 499, next never called; Redis down → 503. Upgrades are held with no body, and
 * their GET and POST attempts join one review.
 *
 * Against the real approvals runtime (startApprovals) on a fresh key prefix of the real Redis.
 */

const SPEC: ReviewSpec = {
  name: 'prod-deletes',
  message: 'Deleting in prod needs a human.',
  approvers: { users: ['bob'], groups: [] },
  autoApprove: { groups: ['trusted'] },
};
const REVIEW: DecisionSummary = {
  action: 'review',
  rule: 'prod-deletes',
  message: 'hoop-gateway policy rule "prod-deletes" requires human approval.',
  review: SPEC,
};
const ALLOW: DecisionSummary = { action: 'allow', rule: 'agents-read' };
const POLICY = loadPolicy({ rules: [{ name: 'prod-deletes', action: 'review' }] });
/** Rows where nobody decides wait this long; rows where someone decides have ample time to. */
const SHORT_HOLD = 1;
const LONG_HOLD = 15;

const prefix = `test:stage-review:${randomBytes(5).toString('hex')}`;
const log = memoryLogger();
let approvals: StartedApprovals;
let impatient: StartedApprovals;

function settings(redisUrl: string, holdSeconds: number) {
  const section = approvalsSchema.parse({
    redisUrl,
    keyPrefix: prefix,
    holdSeconds,
    retryAfterSeconds: 7,
    maxBodyBytes: 1024,
  });
  return resolveApprovals(section, POLICY, {});
}

/** The gateway's own decision key (decisions made through its API are signed with it). */
function gatewaySigning(): GatewaySigning {
  const pair = generateDecisionKeyPair();
  return {
    signer: createDecisionSigner(createPrivateKey(pair.privatePem), 'gateway'),
    keyring: createKeyring([{ publicKey: createPublicKey(pair.publicPem), role: 'gateway' }]),
    generated: false,
  };
}

beforeAll(() => {
  const signing = gatewaySigning();
  approvals = startApprovals(settings(REDIS_URL, LONG_HOLD), log.logger, signing, { pollMs: 50 });
  impatient = startApprovals(settings(REDIS_URL, SHORT_HOLD), log.logger, signing, { pollMs: 50 });
});

afterAll(async () => {
  await approvals?.close();
  await impatient?.close();
  const redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function reviewsOf(subject: string): Promise<Review[]> {
  return (await approvals.runtime.store.list({ limit: 200 })).filter((r) => r.caller.subject === subject);
}

async function firstReviewOf(subject: string): Promise<Review> {
  for (;;) {
    const [found] = await reviewsOf(subject);
    if (found) return found;
    await sleep(25);
  }
}

const decide = (action: 'approve' | 'reject', reason?: string) => async (r: Review) => {
  const result = await approvals.runtime.store.decide(r.id, {
    approver: { id: 'bob', groups: [] },
    action,
    via: 'api',
    ...(reason ? { reason } : {}),
  });
  expect(result.outcome).toBe('applied');
};

interface Row {
  name: string;
  /** Unique per row: the fingerprint (and so the review) belongs to this caller. */
  subject: string;
  groups?: string[];
  decision?: DecisionSummary;
  /** `short`: a runtime that answers 429 after one second (for rows where nobody decides). */
  approvals?: 'on' | 'short' | 'off';
  method?: string;
  body?: string;
  /** What happens once the request's review exists (an approver decides, the client hangs up). */
  meanwhile?: (r: Review, client: AbortController) => Promise<void>;
  passes?: { review?: string; body?: string };
  refused?: { status: number; reason: string; message: RegExp; refusal: string; review?: string };
  /** The client hung up: nothing answered, the context says why. */
  gone?: true;
  /** How many reviews the row leaves for its caller. */
  reviews: number;
}

const BODY = '{"propagationPolicy":"Background"}';

const rows: Row[] = [
  {
    name: 'an allowed request passes straight through, its body unread',
    subject: 'allowed',
    decision: ALLOW,
    body: BODY,
    passes: {},
    reviews: 0,
  },
  {
    name: 'a request with no decision passes through',
    subject: 'undecided',
    passes: {},
    reviews: 0,
  },
  {
    name: 'approvals off: 503 naming the rule, with the policy’s words',
    subject: 'approvals-off',
    decision: REVIEW,
    approvals: 'off',
    refused: {
      status: 503,
      reason: 'ServiceUnavailable',
      message:
        /^hoop-gateway policy rule "prod-deletes" requires human approval\. This call needs human approval \(rule "prod-deletes"\), but approvals are not configured on this gateway/,
      refusal: 'approvals off',
    },
    reviews: 0,
  },
  {
    name: 'nobody decides: 429 with Retry-After after holdSeconds',
    subject: 'pending',
    approvals: 'short',
    decision: REVIEW,
    body: BODY,
    refused: {
      status: 429,
      reason: 'TooManyRequests',
      message:
        /^waiting for human approval: review \S+ holds "delete" on pods "web-1" .*Retrying the same request is safe/,
      refusal: 'review pending',
      review: 'pending',
    },
    reviews: 1,
  },
  {
    name: 'approved while held: next, with the review and the body read',
    subject: 'approved',
    decision: REVIEW,
    body: BODY,
    meanwhile: decide('approve'),
    passes: { review: 'approved', body: BODY },
    reviews: 1,
  },
  {
    name: 'rejected while held: 403 saying by whom and why',
    subject: 'rejected',
    decision: REVIEW,
    meanwhile: decide('reject', 'not during the freeze'),
    refused: {
      status: 403,
      reason: 'Forbidden',
      message: /^review \S+ was rejected by bob: not during the freeze\./,
      refusal: 'review rejected',
      review: 'rejected',
    },
    reviews: 1,
  },
  {
    name: 'a caller in an autoApprove group: next at once, auto-approved',
    subject: 'trusted-bot',
    groups: ['trusted'],
    decision: REVIEW,
    // Read although empty: the fingerprint covers the body, whatever it is.
    passes: { review: 'auto-approved', body: '' },
    reviews: 1,
  },
  {
    name: 'a body over maxBodyBytes: 413 before any review is opened',
    subject: 'too-large',
    decision: REVIEW,
    body: JSON.stringify({ pad: 'x'.repeat(2048) }),
    refused: {
      status: 413,
      reason: 'RequestEntityTooLarge',
      message: /larger than 1024 bytes/,
      refusal: 'RequestEntityTooLarge',
    },
    reviews: 0,
  },
  {
    name: 'the client hangs up while held: 499 in the context, next never called',
    subject: 'gone',
    decision: REVIEW,
    meanwhile: async (_r, client) => client.abort(),
    gone: true,
    reviews: 1,
  },
];

describe('review', () => {
  it.each(rows)('$name', async (row) => {
    const client = new AbortController();
    const runtime = { on: approvals.runtime, short: impatient.runtime, off: undefined }[
      row.approvals ?? 'on'
    ];
    const started = Date.now();
    const running = runStage(review(runtime, log.logger), {
      method: row.method ?? 'DELETE',
      ...(row.body ? { body: row.body, headers: { 'content-type': 'application/json' } } : {}),
      signal: client.signal,
      ctx: {
        caller: caller({ subject: row.subject, groups: row.groups ?? ['ai-agents'] }),
        cluster: cluster('prod'),
        info: info('DELETE', '/api/v1/namespaces/shop/pods/web-1'),
        ...(row.decision ? { decision: row.decision } : {}),
      },
    });
    if (row.meanwhile) await row.meanwhile(await firstReviewOf(row.subject), client);
    const run = await running;

    if (row.passes) {
      expect(run.thrown).toBeUndefined();
      expect(run.status).toBe(200);
      expect(run.next.calls).toBe(1);
      expect(run.next.ctx?.review?.outcome).toBe(row.passes.review);
      expect(run.next.ctx?.body?.toString()).toBe(row.passes.body);
      // Let through by the decision, not by the end of the hold (that would be a 429 anyway).
      expect(Date.now() - started).toBeLessThan(LONG_HOLD * 1000);
    }
    if (row.refused) {
      expect(run.next.calls).toBe(0);
      expect(run.status).toBe(row.refused.status);
      expect(run.kubeStatus).toMatchObject({ code: row.refused.status, reason: row.refused.reason });
      expect(run.kubeStatus?.message).toMatch(row.refused.message);
      // The stage's own refusal; 413 is thrown by the body reader, so the log takes the reason.
      expect(run.ctx.refusal ?? run.kubeStatus?.reason).toBe(row.refused.refusal);
      expect(run.ctx.review?.outcome).toBe(row.refused.review);
    }
    if (row.gone) {
      expect(run.status).toBeUndefined();
      expect(run.next.calls).toBe(0);
      expect(run.ctx.status).toBe(499);
      expect(run.ctx.refusal).toBe('client went away while held');
    }
    expect(await reviewsOf(row.subject)).toHaveLength(row.reviews);
  });

  it('a pending 429 carries Retry-After and names the review; the review keeps what the approver is shown', async () => {
    const run = await runStage(review(impatient.runtime, log.logger), {
      method: 'DELETE',
      body: BODY,
      headers: {
        'content-type': 'application/json',
        'kubectl-command': 'kubectl delete',
        'kubectl-session': 's-1',
      },
      ctx: {
        caller: caller({ subject: 'pending-details' }),
        cluster: cluster('prod'),
        info: info('DELETE', '/api/v1/namespaces/shop/pods/web-1'),
        decision: REVIEW,
      },
    });
    const [held] = await reviewsOf('pending-details');
    expect(run.headers['retry-after']).toBe('7');
    expect(run.kubeStatus?.details).toMatchObject({ name: held?.id, retryAfterSeconds: 7 });
    expect(run.ctx.review).toEqual({ id: held?.id, outcome: 'pending' });
    expect(held).toMatchObject({
      cluster: 'prod',
      headers: { command: 'kubectl delete', session: 's-1' },
      rule: { name: 'prod-deletes', minApprovals: 1 },
    });
    expect(held?.bodySummary).toContain('Background');
    expect(
      log.lines.some((line) => line['review'] === held?.id && String(line['msg']).includes('pending')),
    ).toBe(true);
  });

  it('holds upgrades without a body; the WebSocket GET and the SPDY POST join one review', async () => {
    const attempt = (method: string) =>
      runStage(review(impatient.runtime, log.logger), {
        method,
        upgrade: true,
        ctx: {
          caller: caller({ subject: 'exec-agent' }),
          cluster: cluster('prod'),
          info: info(method, '/api/v1/namespaces/shop/pods/web-1/exec', 'command=sh'),
          decision: REVIEW,
        },
      });
    const [websocket, spdy] = await Promise.all([attempt('GET'), attempt('POST')]);
    expect(websocket.status).toBe(429);
    expect(spdy.status).toBe(429);
    expect(websocket.kubeStatus?.details?.name).toBe(spdy.kubeStatus?.details?.name);
    expect(websocket.ctx.body).toBeUndefined();
    expect(await reviewsOf('exec-agent')).toHaveLength(1);
  });
});

describe('review with Redis down', () => {
  let down: StartedApprovals;
  beforeAll(() => {
    // A port nothing listens on: every command fails fast, as with a Redis outage.
    down = startApprovals(
      settings('redis://127.0.0.1:9', SHORT_HOLD),
      memoryLogger().logger,
      gatewaySigning(),
      { pollMs: 50 },
    );
  });
  afterAll(async () => down?.close());

  it('a review-bound request is a 503 "approvals unavailable"; an allowed one never touches Redis', async () => {
    const ctx = {
      caller: caller({ subject: 'redis-down' }),
      cluster: cluster('prod'),
      info: info('DELETE', '/api/v1/namespaces/shop/pods/web-1'),
    };
    const held = await runStage(review(down.runtime, log.logger), {
      method: 'DELETE',
      ctx: { ...ctx, decision: REVIEW },
    });
    expect(held.next.calls).toBe(0);
    expect(held.status).toBe(503);
    expect(held.kubeStatus).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect(held.ctx.refusal).toBe('approvals unavailable');

    const allowed = await runStage(review(down.runtime, log.logger), {
      method: 'DELETE',
      ctx: { ...ctx, decision: ALLOW },
    });
    expect(allowed.next.calls).toBe(1);
    expect(allowed.status).toBe(200);
  });
});
