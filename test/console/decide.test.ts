import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiError, ReviewDecision, ReviewDetail, ReviewList } from '../../console/api.types.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { signIn } from '../support/people.ts';

/**
 * Deciding in the web console, end to end: the real kubectl is held by a review rule, people sign
 * in to the console and decide through its API, and the gateway forwards only on the console's
 * signed approval. The rule decides who may: alice owns the CI job (its `actor` claim) and may
 * not approve its call; carol may view but is no approver; bob is. Every refusal is a readable
 * Status, and the decision takes the same audited path as chat and the CLI.
 */
let stack: ApprovalsStack;

beforeAll(async () => {
  stack = await startApprovalsStack({
    console: {},
    review: { approvers: { users: ['approver-1'], groups: ['sre'] } },
  });
});

afterAll(async () => {
  await stack?.close();
});

describeWithKubectl(['1.33'], 'deciding a held kubectl in the console', () => {
  it('refuses self-approval and non-approvers, needs CSRF, and bob’s approval lets kubectl finish', async () => {
    const kubeconfig = await stack.kubeconfigFor('ci-deployer');
    const kubectl = runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['delete', 'namespace', 'scratch'],
      timeoutMs: 60_000,
    });
    const [pending] = await stack.pending();
    const id = pending!.id;
    const target = stack.console!;

    const alice = new ConsoleClient(target);
    await alice.signIn(stack.issuer, 'alice');
    const list = (await alice.get('/api/v1/reviews')).json<ReviewList>();
    const card = list.items.find((item) => item.id === id);
    expect(card).toMatchObject({
      state: 'pending',
      requester: { subject: 'ci-deployer', owner: 'alice' },
      target: {
        cluster: 'sandbox',
        verb: 'delete',
        resource: 'namespaces',
        name: 'scratch',
        command: 'kubectl delete',
      },
      rule: { name: 'namespace-delete', message: 'Deleting a namespace deletes everything in it.' },
      approvals: { count: 0, needed: 1 },
      you: { mayApprove: false, mayReject: true },
    });
    expect(card!.you.why).toContain('requested this call (or owns the job that did)');
    const self = await alice.post(`/api/v1/reviews/${id}/approve`, { reason: 'mine' });
    expect(self.status).toBe(403);
    expect(self.json<ApiError>().message).toBe(
      `you may not decide ${id}: alice@example.com requested this call (or owns the job that did) and rule "namespace-delete" does not allow self-approval; another approver must decide.`,
    );

    const carol = new ConsoleClient(target);
    await carol.signIn(stack.issuer, 'carol');
    const seen = (await carol.get(`/api/v1/reviews/${id}`)).json<ReviewDetail>();
    expect(seen.review.you).toMatchObject({ mayApprove: false, mayReject: false });
    const stranger = await carol.post(`/api/v1/reviews/${id}/approve`);
    expect(stranger.status).toBe(403);
    expect(stranger.json<ApiError>().message).toContain(
      'carol@example.com is not an approver for rule "namespace-delete"',
    );

    const bob = new ConsoleClient(target);
    await bob.signIn(stack.issuer, 'bob');
    const token = bob.csrf;
    bob.csrf = undefined;
    const noToken = await bob.post(`/api/v1/reviews/${id}/approve`);
    expect(noToken.status).toBe(403);
    expect(noToken.json<ApiError>().message).toContain('CSRF token');
    bob.csrf = token;
    const crossSite = await bob.send('POST', `/api/v1/reviews/${id}/approve`, {
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', 'x-csrf-token': token! },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
    expect((await stack.store.get(id))?.state).toBe('pending');

    const approved = await bob.post(`/api/v1/reviews/${id}/approve`, { reason: 'scratch is disposable' });
    expect(approved.status, approved.body).toBe(200);
    const decision = approved.json<ReviewDecision>();
    expect(decision).toMatchObject({
      kind: 'ReviewDecision',
      outcome: 'applied',
      review: { state: 'approved' },
    });
    expect(decision.review.decisions).toEqual([
      expect.objectContaining({
        approver: 'bob@example.com',
        action: 'approve',
        via: 'console',
        reason: 'scratch is disposable',
        signature: expect.objectContaining({ verified: true }),
      }),
    ]);

    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('namespace "scratch" deleted');
    expect(stack.upstreamCount('DELETE', `${NAMESPACE_PATH}`)).toBe(1);

    const history = (await bob.get(`/api/v1/reviews/${id}`)).json<ReviewDetail>().history;
    expect(history.map((h) => [h.kind, h.by])).toEqual([
      ['decision-refused', 'alice@example.com'],
      ['decision-refused', 'carol@example.com'],
    ]);
    const audit = stack.logs().filter((line) => line['audit'] === 'decision' && line['review'] === id);
    expect(audit.map((line) => [line['approver'], line['via'], line['outcome']])).toEqual([
      ['alice@example.com', 'console', 'not-allowed'],
      ['carol@example.com', 'console', 'not-allowed'],
      ['bob@example.com', 'console', 'applied'],
    ]);
    // The terminal approver links to the same review in the console.
    const terminal = await signIn(stack, 'bob');
    const shown = await terminal.reviews('show', id);
    expect(shown.out).toContain(`console:   ${target.publicUrl}/reviews/${id}\n`);

    const again = await bob.post(`/api/v1/reviews/${id}/reject`, { reason: 'changed my mind' });
    expect(again.status).toBe(409);
    expect(again.json<ApiError>().message).toBe(
      `${id} is already approved by bob@example.com; nothing changed`,
    );
  });
});
