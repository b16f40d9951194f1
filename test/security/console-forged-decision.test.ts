import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { windowScope } from '../../src/approvals/fingerprint.ts';
import type { Decision, Review } from '../../src/approvals/review.types.ts';
import { ReviewStore } from '../../src/approvals/review-store.ts';
import { type ProofBinding, signDecision, signedBytes } from '../../src/approvals/signing/decision-proof.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { type KeyFiles, testSigner, writeKeyPair } from '../support/decision-keys.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';

/**
 * Vulnerability class: passing a decision off as the web console's. The console runs as its own
 * process with its own key (role `console`); the gateway holds only its public key
 * (`trustedKeys`, role console) and accepts a console decision only when that key signed it and
 * it says it came from the console. Forged ones are written straight into Redis while the real
 * kubectl waits; each must be refused and nothing may reach the cluster. A decision the console's
 * key signs, made through the store as the console makes it, lets the call through.
 */
let stack: ApprovalsStack;
let keysDir: string;
let consoleKey: KeyFiles;

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'hoop-console-key-'));
  consoleKey = await writeKeyPair(keysDir, 'console', 'console');
  stack = await startApprovalsStack({
    approvals: {
      signing: {
        botPrivateKey: 'keys/bot.key',
        trustedKeys: [{ publicKey: consoleKey.pubFile, role: 'console' }],
      },
    },
  });
});

afterAll(async () => {
  await stack?.close();
  await rm(keysDir, { recursive: true, force: true });
});

function consoleApproval(overrides: Partial<Decision> = {}): Decision {
  const identity = {
    id: 'approver-1@example.com',
    groups: [],
    subject: 'approver-1',
    email: 'approver-1@example.com',
  };
  return {
    approver: 'approver-1',
    action: 'approve',
    at: Date.now(),
    via: 'console',
    identity,
    ...overrides,
  };
}

function binding(review: Review): ProofBinding {
  return {
    reviewId: review.id,
    fingerprint: review.fingerprint,
    scope: windowScope(review.caller, review.cluster, review.rule.name),
  };
}

async function heldDeletion(): Promise<{ kubectl: ReturnType<typeof runKubectl>; review: Review }> {
  const kubeconfig = await stack.kubeconfigFor('agent-1');
  const before = new Set((await stack.store.list({ state: 'pending' })).map((r) => r.id));
  const kubectl = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });
  for (;;) {
    const fresh = (await stack.store.list({ state: 'pending' })).find((r) => !before.has(r.id));
    if (fresh) return { kubectl, review: fresh };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function forge(review: Review, decision: Decision): Promise<void> {
  const key = `${stack.prefix}:approvals:review:${review.id}`;
  const now = Date.now();
  await stack.redis.hset(key, {
    state: 'approved',
    decidedBy: 'approver-1',
    decisions: JSON.stringify([decision]),
    grantKind: 'once',
    grantEnd: String(now + 600_000),
    updatedAt: String(now),
  });
  await stack.redis.zrem(`${stack.prefix}:approvals:pending`, review.id);
  await stack.redis.publish(
    `${stack.prefix}:approvals:review-events`,
    JSON.stringify({ id: review.id, state: 'approved', fingerprint: review.fingerprint }),
  );
}

async function expectRefused(
  kubectl: ReturnType<typeof runKubectl>,
  review: Review,
  why: RegExp,
): Promise<void> {
  const result = await kubectl;
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(
    `the decision's signature did not verify: review ${review.id} is recorded as approved`,
  );
  expect(result.stderr).toMatch(why);
  expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);
  await stack.redis.del(`${stack.prefix}:approvals:fp:${review.fingerprint}`);
}

describeWithKubectl(['1.33'], 'a decision passed off as the console’s', () => {
  it('is refused unsigned', async () => {
    const { kubectl, review } = await heldDeletion();
    await forge(review, consoleApproval());
    await expectRefused(kubectl, review, /carries no signature/);
  });

  it('is refused when signed by a console key the gateway does not trust', async () => {
    const { kubectl, review } = await heldDeletion();
    await forge(review, signDecision(consoleApproval(), binding(review), testSigner('console')));
    await expectRefused(kubectl, review, /which this gateway does not trust/);
  });

  it('is refused when a trusted bot key signed a decision that claims to come from the console', async () => {
    const { kubectl, review } = await heldDeletion();
    const decision = consoleApproval();
    const sig = stack.botSigner.sign(signedBytes(decision, binding(review)));
    await forge(review, {
      ...decision,
      proof: { v: 1, ...binding(review), keyId: stack.botSigner.keyId, sig },
    });
    await expectRefused(kubectl, review, /a bot key signed a decision that claims to come from console/);
  });

  it('is refused when the console key signed a decision that claims to come from the approvals API', async () => {
    const { kubectl, review } = await heldDeletion();
    const decision = consoleApproval({ via: 'api' });
    const sig = consoleKey.signer.sign(signedBytes(decision, binding(review)));
    await forge(review, {
      ...decision,
      proof: { v: 1, ...binding(review), keyId: consoleKey.signer.keyId, sig },
    });
    await expectRefused(kubectl, review, /a console key signed a decision that claims to come from api/);
  });

  it('lets the call through on a decision the console’s key signed, made as the console makes it', async () => {
    const { kubectl, review } = await heldDeletion();
    const asConsole = new ReviewStore({
      connection: stack.redis,
      prefix: `${stack.prefix}:approvals`,
      signer: consoleKey.signer,
    });
    const result = await asConsole.decide(review.id, {
      approver: { id: 'approver-1', groups: [] },
      action: 'approve',
      via: 'console',
    });
    expect(result.outcome).toBe('applied');
    expect(await kubectl).toMatchObject({ code: 0, stderr: '' });
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
  });
});
