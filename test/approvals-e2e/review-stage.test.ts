import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, statusMessage } from './raw-https.ts';
import { APPROVER, type ApprovalsStack, sleep, startApprovalsStack } from './support.ts';

/**
 * The review stage over raw HTTPS, where exact codes, headers and timings are visible: the 429
 * an agent reads, the 413 body cap, a client that hangs up while held, auto-approval, window
 * grants, and a `once` grant that is used up. One stack serves the file; each test deletes its
 * own ConfigMap, so fingerprints never collide.
 */
let stack: ApprovalsStack;

const POLICY = {
  default: 'deny',
  rules: [
    { name: 'agents-read', action: 'allow', match: { verbs: ['get', 'list', 'watch'] } },
    {
      name: 'configmap-delete',
      action: 'review',
      message: 'ConfigMaps in scratch are shared.',
      match: { resources: ['configmaps'], verbs: ['delete'] },
      review: {
        approvers: { users: [APPROVER] },
        grant: { window: '10m' },
        autoApprove: { groups: ['trusted'] },
      },
    },
  ],
};

beforeAll(async () => {
  stack = await startApprovalsStack({
    policy: POLICY,
    approvals: { holdSeconds: 2, retryAfterSeconds: 7, maxBodyBytes: 2048 },
  });
  const type = resourceTypeNamed('configmaps');
  for (const name of ['pending', 'gone', 'auto', 'win-a', 'win-b', 'once']) {
    stack.sandbox.store.create(
      'configmaps',
      prepareCreate(type, 'scratch', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: {} }),
    );
  }
});

afterAll(async () => {
  await stack?.close();
});

const path = (name: string) => `/api/v1/namespaces/scratch/configmaps/${name}`;

async function del(name: string, token: string, options: { body?: string; signal?: AbortSignal } = {}) {
  return rawRequest({
    url: `${stack.clusterUrl()}${path(name)}`,
    method: 'DELETE',
    token,
    caPem: stack.gateway.caPem ?? '',
    body: options.body ?? '{"propagationPolicy":"Background"}',
    headers: { 'kubectl-command': 'kubectl delete', 'kubectl-session': `s-${name}` },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

const token = (sub: string, groups = ['ai-agents']) => stack.issuer.signToken({ sub, groups });
const reviewsFor = async (name: string) =>
  (await stack.store.list({ limit: 100 })).filter((r) => r.info.name === name);

describe('the review stage', () => {
  it('answers 429 with Retry-After and a message an agent can act on, after holdSeconds', async () => {
    const started = Date.now();
    const res = await del('pending', await token('agent-429'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
    const [review] = await reviewsFor('pending');
    const status = JSON.parse(res.body) as Record<string, unknown>;
    expect(status).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      code: 429,
      details: { name: review!.id, retryAfterSeconds: 7 },
    });
    const message = statusMessage(res.body);
    expect(message).toContain(`waiting for human approval: review ${review!.id}`);
    expect(message).toContain('"delete" on configmaps "pending" in namespace "scratch" on cluster "sandbox"');
    expect(message).toContain(`hoop-gateway reviews approve ${review!.id}`);
    expect(message).toContain('Retrying the same request is safe');
    expect(message).toContain(`users ${APPROVER}`);
    expect(review).toMatchObject({ headers: { command: 'kubectl delete', session: 's-pending' } });
    const created = stack.logs().find((l) => l['review'] === review!.id && l['msg'] !== 'request');
    expect(String(created?.['msg'])).toContain(`hoop-gateway reviews approve ${review!.id}`);
  });

  it('refuses a review-bound body over maxBodyBytes with 413 before holding anything', async () => {
    const res = await del('pending', await token('agent-413'), {
      body: JSON.stringify({ pad: 'x'.repeat(4096) }),
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    expect((await reviewsFor('pending')).filter((r) => r.caller.subject === 'agent-413')).toHaveLength(0);
  });

  it('stops waiting when the client hangs up; the next identical request joins the same review', async () => {
    const t = await token('agent-gone');
    const controller = new AbortController();
    const first = del('gone', t, { signal: controller.signal }).catch((error: Error) => error);
    await stack.pending(1).then(async () => {
      while ((await reviewsFor('gone')).length === 0) await sleep(50);
    });
    const abortedAt = Date.now();
    controller.abort();
    expect(await first).toBeInstanceOf(Error);
    let line: Record<string, unknown> | undefined;
    while (!line && Date.now() - abortedAt < 1500) {
      await sleep(20);
      line = stack
        .logs()
        .find((l) => l['msg'] === 'request' && l['refusal'] === 'client went away while held');
    }
    expect(line).toMatchObject({ status: 499, name: 'gone' });

    const [review] = await reviewsFor('gone');
    await stack.decide(review!.id, 'approve');
    const res = await del('gone', t);
    expect(res.status).toBe(200);
    expect(await reviewsFor('gone')).toHaveLength(1);
    expect(stack.upstreamCount('DELETE', path('gone'))).toBe(1);
  });

  it('auto-approves callers in an autoApprove group and records it', async () => {
    const started = Date.now();
    const res = await del('auto', await token('ci-bot', ['trusted']));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    const [review] = await reviewsFor('auto');
    expect(review).toMatchObject({ state: 'approved', decidedBy: 'hoop-gateway:auto-approve' });
    expect(review!.decisions).toEqual([
      expect.objectContaining({
        action: 'approve',
        via: 'auto',
        reason: expect.stringContaining('"trusted"'),
      }),
    ]);
    expect(review!.grant).toMatchObject({ kind: 'once', consumedAt: expect.any(Number) });
  });

  it('a window grant lets the same identity through for other calls of the rule', async () => {
    const t = await token('agent-window');
    const first = del('win-a', t);
    const [review] = await (async () => {
      for (;;) {
        const found = await reviewsFor('win-a');
        if (found.length) return found;
        await sleep(50);
      }
    })();
    const decided = await stack.store.decide(review!.id, {
      approver: { id: APPROVER, groups: [] },
      action: 'approve',
      via: 'slack',
      windowSeconds: 300,
    });
    expect(decided.outcome).toBe('applied');
    expect((await first).status).toBe(200);
    const second = await del('win-b', t);
    expect(second.status).toBe(200);
    expect(await reviewsFor('win-b')).toHaveLength(0);
    // Another identity is not covered by that window.
    expect((await del('win-b', await token('agent-other'))).status).toBe(429);
  });

  it('a once grant is used up: the same request again opens a new review', async () => {
    const t = await token('agent-once');
    const first = del('once', t);
    while ((await reviewsFor('once')).length === 0) await sleep(50);
    await stack.decide((await reviewsFor('once'))[0]!.id, 'approve');
    expect((await first).status).toBe(200);
    const again = await del('once', t);
    expect(again.status).toBe(429);
    const reviews = await reviewsFor('once');
    expect(reviews.map((r) => r.state).sort()).toEqual(['approved', 'pending']);
    expect(stack.upstreamCount('DELETE', path('once'))).toBe(1);
  });
});
