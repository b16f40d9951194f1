import { afterAll, beforeAll, expect, it } from 'vitest';
import { windowScope } from '../../src/approvals/fingerprint.ts';
import type { Decision, Review } from '../../src/approvals/review.types.ts';
import { signDecision } from '../../src/approvals/signing/decision-proof.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { testSigner } from '../support/decision-keys.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';

/**
 * Vulnerability class: forging an approval with write access to Redis alone. Each case writes a
 * decision straight into the review record (valid JSON, the state and grant Redis needs to let
 * the call through) while the real kubectl waits on the gateway; each must be refused with the
 * Status that says the decision's signature did not verify, nothing may reach the cluster, and
 * the gateway must raise its alert line and record the refusal in the review's history.
 */
let stack: ApprovalsStack;

beforeAll(async () => {
  stack = await startApprovalsStack({ review: { grant: { window: '15m' } } });
});

afterAll(async () => {
  await stack?.close();
});

/** What an attacker with Redis write access does: mark the record approved with `decisions`. */
async function forgeApproval(
  review: Review,
  decisions: Decision[],
  grant: 'once' | 'window' = 'once',
): Promise<void> {
  const key = `${stack.prefix}:approvals:review:${review.id}`;
  const now = Date.now();
  await stack.redis.hset(key, {
    state: 'approved',
    decidedBy: 'approver-1',
    decisions: JSON.stringify(decisions),
    grantKind: grant,
    grantEnd: String(now + 600_000),
    ...(grant === 'window' ? { grantWindowSeconds: '600' } : {}),
    updatedAt: String(now),
  });
  await stack.redis.zrem(`${stack.prefix}:approvals:pending`, review.id);
  await stack.redis.publish(
    `${stack.prefix}:approvals:review-events`,
    JSON.stringify({ id: review.id, state: 'approved', fingerprint: review.fingerprint }),
  );
}

function approval(overrides: Partial<Decision> = {}): Decision {
  return {
    approver: 'approver-1',
    action: 'approve',
    at: Date.now(),
    via: 'slack',
    identity: { id: 'approver-1', groups: [] },
    ...overrides,
  };
}

async function heldDeletion(): Promise<{ kubectl: ReturnType<typeof runKubectl>; review: Review }> {
  // Each case gets its own namespace: a refused review lingers on its fingerprint.
  const kubeconfig = await stack.kubeconfigFor('agent-1');
  const before = new Set((await stack.store.list({ state: 'pending' })).map((r) => r.id));
  const kubectl = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });
  for (;;) {
    const fresh = (await stack.store.list({ state: 'pending' })).find((r) => !before.has(r.id));
    if (fresh) return { kubectl, review: fresh };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function expectRefused(
  kubectl: ReturnType<typeof runKubectl>,
  review: Review,
  why: RegExp,
): Promise<void> {
  const result = await kubectl;
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(
    new RegExp(
      `Error from server \\(Forbidden\\): the decision's signature did not verify: review ${review.id} is recorded as approved`,
    ),
  );
  expect(result.stderr).toMatch(why);
  expect(result.stderr).toContain('an operator should check who can reach Redis');
  expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);
  const alert = stack.logs().find((l) => l['alert'] === 'forged-decision' && l['review'] === review.id);
  expect(alert).toMatchObject({ level: 50, state: 'approved' });
  const history = await stack.store.history(review.id);
  expect(history).toEqual([expect.objectContaining({ kind: 'forged-decision-refused', by: 'hoop-gateway' })]);
  // Wait for the forged review's verdict to stop lingering on the fingerprint, for the next case.
  await stack.redis.del(`${stack.prefix}:approvals:fp:${review.fingerprint}`);
}

describeWithKubectl(['1.33'], 'a decision written straight into Redis', () => {
  it('is refused without a signature', async () => {
    const { kubectl, review } = await heldDeletion();
    await forgeApproval(review, [approval()]);
    await expectRefused(kubectl, review, /carries no signature/);
  });

  it('is refused with a signature by a key the gateway does not trust', async () => {
    const { kubectl, review } = await heldDeletion();
    const scope = windowScope(review.caller, review.cluster, review.rule.name);
    const signed = signDecision(
      approval(),
      { reviewId: review.id, fingerprint: review.fingerprint, scope },
      testSigner('bot'),
    );
    await forgeApproval(review, [signed]);
    await expectRefused(kubectl, review, /which this gateway does not trust/);
  });

  it('is refused when a trusted signature was made over another request', async () => {
    const { kubectl, review } = await heldDeletion();
    const scope = windowScope(review.caller, review.cluster, review.rule.name);
    const other = signDecision(
      approval(),
      { reviewId: review.id, fingerprint: 'f'.repeat(64), scope },
      stack.botSigner,
    );
    await forgeApproval(review, [other]);
    await expectRefused(kubectl, review, /signed for a different request/);
  });

  it('is refused when a signed decision was altered (the approver changed)', async () => {
    const { kubectl, review } = await heldDeletion();
    const scope = windowScope(review.caller, review.cluster, review.rule.name);
    const signed = signDecision(
      approval({ approver: 'mallory', identity: { id: 'mallory', groups: [] } }),
      { reviewId: review.id, fingerprint: review.fingerprint, scope },
      stack.botSigner,
    );
    const altered = { ...signed, approver: 'approver-1', identity: { id: 'approver-1', groups: [] } };
    await forgeApproval(review, [altered]);
    await expectRefused(kubectl, review, /its signature does not verify/);
  });

  it('is refused when Redis widens a signed single-call approval into a window', async () => {
    const { kubectl, review } = await heldDeletion();
    const scope = windowScope(review.caller, review.cluster, review.rule.name);
    const signed = signDecision(
      approval(),
      { reviewId: review.id, fingerprint: review.fingerprint, scope },
      stack.botSigner,
    );
    await forgeApproval(review, [signed], 'window');
    await expectRefused(
      kubectl,
      review,
      /Redis records a window grant, but the approvers signed a once grant/,
    );
  });

  it('a forged rejection is refused as a forgery too, and a genuine approval still works', async () => {
    const { kubectl, review } = await heldDeletion();
    const key = `${stack.prefix}:approvals:review:${review.id}`;
    await stack.redis.hset(key, {
      state: 'rejected',
      decidedBy: 'approver-1',
      decisions: JSON.stringify([approval({ action: 'reject', reason: 'no' })]),
    });
    await stack.redis.publish(
      `${stack.prefix}:approvals:review-events`,
      JSON.stringify({ id: review.id, state: 'rejected', fingerprint: review.fingerprint }),
    );
    const result = await kubectl;
    expect(result.stderr).toContain(`review ${review.id} is recorded as rejected`);
    await stack.redis.del(`${stack.prefix}:approvals:fp:${review.fingerprint}`);

    const genuine = await heldDeletion();
    await stack.decide(genuine.review.id, 'approve');
    expect(await genuine.kubectl).toMatchObject({ code: 0, stderr: '' });
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
  });
});
