import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { signIn } from '../support/people.ts';

/**
 * The whole path a person takes, with real parts: `hoop-gateway login` (device flow against the
 * local OpenID issuer, the code entered by the test as the person would in a browser), then
 * `hoop-gateway reviews approve` through the gateway's approvals API, and the held kubectl call
 * completes with exactly one DELETE upstream.
 */
let stack: ApprovalsStack;

beforeAll(async () => {
  stack = await startApprovalsStack();
});

afterAll(async () => {
  await stack?.close();
});

describeWithKubectl(['1.33'], 'a person signs in and approves a held kubectl call', () => {
  it('login → reviews approve → kubectl completes', async () => {
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const kubectl = runKubectl({ kubeconfig, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });
    const [review] = await stack.pending();

    const person = await signIn(stack, 'approver-1');
    expect(person.loginOutput).toMatch(
      /Open http:\/\/127\.0\.0\.1:\d+\/device and enter the code [A-Z]{4}-[A-Z]{4}/,
    );
    expect(person.loginOutput).toContain('Signed in to https://127.0.0.1:');
    expect(person.loginOutput).toContain('as approver-1@example.com');

    const listed = await person.reviews('list', '--state', 'pending');
    expect(listed.out).toContain(review!.id);
    const approved = await person.reviews('approve', review!.id, '--reason', 'scratch is disposable');
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.out).toContain(`approved ${review!.id}`);

    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);

    const shown = await person.reviews('show', review!.id);
    expect(shown.out).toMatch(
      /approve by approver-1@example\.com via api: scratch is disposable \[signed, key k-/,
    );
    const audit = stack.logs().filter((l) => l['audit'] === 'decision');
    expect(audit).toEqual([
      expect.objectContaining({
        review: review!.id,
        action: 'approve',
        outcome: 'applied',
        approver: 'approver-1@example.com',
        via: 'api',
      }),
    ]);
    expect(
      stack.logs().some((l) => l['audit'] === 'login' && l['approver'] === 'approver-1@example.com'),
    ).toBe(true);
  });
});
