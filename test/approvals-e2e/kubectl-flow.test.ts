import { afterEach, expect, it } from 'vitest';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { signIn } from '../support/people.ts';
import {
  APPROVER,
  type ApprovalsStack,
  NAMESPACE_PATH,
  runReviewsCli,
  startApprovalsStack,
} from './support.ts';

/**
 * Issue 3 end to end with the real kubectl: `kubectl delete namespace scratch` is held until a
 * person decides, through the terminal approver (signed in with `hoop-gateway login`; a child
 * process or in-process) or the store (as the bot decides, signed with the bot's key). kubectl runs asynchronously: the gateway lives in this process.
 */
let stack: ApprovalsStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

function deleteScratch(kubeconfig: string, version: string) {
  return runKubectl({ kubeconfig, version, args: ['delete', 'namespace', 'scratch'], timeoutMs: 60_000 });
}

describeWithKubectl(['1.29', '1.33'], 'kubectl delete namespace, held for review', () => {
  it('waits, and `hoop-gateway reviews approve` lets it finish with exactly one DELETE (1.33)', async () => {
    stack = await startApprovalsStack();
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const kubectl = deleteScratch(kubeconfig, '1.33');
    const [review] = await stack.pending();
    expect(review).toMatchObject({
      state: 'pending',
      cluster: 'sandbox',
      caller: { subject: 'agent-1' },
      info: { verb: 'delete', resource: 'namespaces', name: 'scratch' },
      headers: { command: 'kubectl delete' },
      rule: { name: 'namespace-delete', approvers: { users: [APPROVER] } },
    });
    expect(review!.headers.session).toMatch(/^[0-9a-f-]{36}$/);
    expect(review!.bodySummary).toMatch(/^application\/json, \d+ bytes, sha256 [0-9a-f]{64}: \{/);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);

    const person = await signIn(stack, 'approver-1');
    // The real binary, as a child process, with the person's cached sign-in.
    const listed = await runReviewsCli(['list', '--state', 'pending'], person.env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(review!.id);
    expect(listed.stdout).toContain('delete namespaces scratch');
    const shown = await person.reviews('show', review!.id);
    expect(shown.out).toContain(`hoop-gateway reviews approve ${review!.id}`);

    const approved = await runReviewsCli(['approve', review!.id], person.env);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain(`approved ${review!.id}`);

    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('namespace "scratch" deleted');
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
    expect(stack.sandbox.store.get('namespaces', '', 'scratch')).toBeUndefined();
    expect((await stack.store.get(review!.id))?.grant).toMatchObject({
      kind: 'once',
      consumedAt: expect.any(Number),
    });

    // A second decision changes nothing and says who decided first.
    const again = await person.reviews('reject', review!.id, '--reason', 'late');
    expect(again.code).toBe(1);
    expect(again.err).toContain(
      `${review!.id} is already approved by approver-1@example.com; nothing changed`,
    );
  });

  it('holds an exec (a WebSocket upgrade) and runs it once approved', async () => {
    stack = await startApprovalsStack();
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const args = ['exec', '-n', 'payments', 'ledger-0', '--', 'echo', 'held-then-ran'];
    const kubectl = runKubectl({ kubeconfig, version: '1.33', args, timeoutMs: 30_000 });
    const [review] = await stack.pending();
    expect(review).toMatchObject({
      info: { resource: 'pods', subresource: 'exec' },
      bodySummary: '(no body)',
    });
    await stack.decide(review!.id, 'approve');
    expect(await kubectl).toMatchObject({ code: 0, stdout: 'held-then-ran\n', stderr: '' });
  });

  it('a rejection makes kubectl print Forbidden with the reason and the approver (1.29)', async () => {
    stack = await startApprovalsStack({ kubeVersion: '1.29' });
    const kubectl = deleteScratch(await stack.kubeconfigFor('agent-1'), '1.29');
    const [review] = await stack.pending();
    const person = await signIn(stack, 'approver-1');
    const rejected = await person.reviews('reject', review!.id, '--reason', 'scratch is shared this week');
    expect(rejected.code).toBe(0);
    const result = await kubectl;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Error from server \(Forbidden\): .*rejected by approver-1@example.com: scratch is shared this week/,
    );
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);
    expect(stack.sandbox.store.get('namespaces', '', 'scratch')).toBeDefined();
  });

  it('expires after the rule timeout: kubectl prints "approval timed out after 2s"', async () => {
    stack = await startApprovalsStack({ review: { timeout: '2s' } });
    const started = Date.now();
    const result = await deleteScratch(await stack.kubeconfigFor('agent-1'), '1.33');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /Error from server \(Forbidden\): approval timed out after 2s: nobody decided review r-/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(0);
  });

  it('a wait longer than holdSeconds completes through 429 retries without kubectl noticing', async () => {
    stack = await startApprovalsStack({ approvals: { holdSeconds: 1, retryAfterSeconds: 1 } });
    const kubectl = deleteScratch(await stack.kubeconfigFor('agent-1'), '1.33');
    const [review] = await stack.pending();
    // Let the gateway answer 429 at least twice before anyone approves.
    const until = Date.now() + 15_000;
    while (stack.logs().filter((l) => l['status'] === 429).length < 2 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stack.decide(review!.id, 'approve');
    const result = await kubectl;
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0 });
    const held = stack.logs().filter((l) => l['msg'] === 'request' && l['review'] === review!.id);
    expect(held.filter((l) => l['status'] === 429).length).toBeGreaterThanOrEqual(2);
    expect(held.at(-1)).toMatchObject({ status: 200, reviewOutcome: 'approved' });
    // Every retry joined the one review.
    expect(await stack.store.list({ limit: 50 })).toHaveLength(1);
    expect(stack.upstreamCount('DELETE', NAMESPACE_PATH)).toBe(1);
  });
});
