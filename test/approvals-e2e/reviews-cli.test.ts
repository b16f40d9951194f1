import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/reviews.ts';
import { type Person, signIn } from '../support/people.ts';
import { rawRequest } from './raw-https.ts';
import { type ApprovalsStack, startApprovalsStack } from './support.ts';

/**
 * The terminal approver, called in-process through the same `run` the CLI uses, as people signed
 * in with `hoop-gateway login`: the policy's approver rules (self-approval through the owner
 * claim, distinct approvals, windows only where the rule grants them), readable errors and exit
 * codes. The requester is the CI client, whose token carries `actor: alice`; `ownerClaim: actor`
 * makes alice its owner.
 */
let stack: ApprovalsStack;
let people: Record<'alice' | 'mallory' | 'approver1' | 'bob', Person>;
const SECRET_PATH = '/api/v1/namespaces/scratch/secrets/demo-token';

beforeAll(async () => {
  stack = await startApprovalsStack({
    policy: {
      default: 'deny',
      rules: [
        {
          name: 'secret-delete',
          action: 'review',
          match: { resources: ['secrets'], verbs: ['delete'] },
          review: { approvers: { users: ['approver-1', 'bob@example.com', 'alice'] }, minApprovals: 2 },
        },
      ],
    },
  });
  people = {
    alice: await signIn(stack, 'alice'),
    mallory: await signIn(stack, 'mallory'),
    approver1: await signIn(stack, 'approver-1'),
    bob: await signIn(stack, 'bob'),
  };
});

afterAll(async () => {
  await stack?.close();
});

describe('hoop-gateway reviews', () => {
  it('applies the rule: no self-approval by the owner, distinct approvals, once-only grants', async () => {
    const call = rawRequest({
      url: `${stack.clusterUrl()}${SECRET_PATH}`,
      method: 'DELETE',
      token: await stack.issuer.issueToken('ci-deployer'),
      caPem: stack.gateway.caPem ?? '',
      body: '{"propagationPolicy":"Background"}',
    });
    const [review] = await stack.pending();
    const id = review!.id;
    expect(review).toMatchObject({ owner: 'alice', caller: { subject: 'ci-deployer' } });
    expect(review!.bodySummary).toMatch(
      /^application\/json, 34 bytes, sha256 [0-9a-f]{64} \(a Secret: content not shown\)$/,
    );

    const self = await people.alice.reviews('approve', id);
    expect(self.code).toBe(1);
    expect(self.err).toContain('alice@example.com requested this call (or owns the job that did)');

    const stranger = await people.mallory.reviews('approve', id);
    expect(stranger).toMatchObject({ code: 1 });
    expect(stranger.err).toContain('mallory@example.com is not an approver for rule "secret-delete"');

    const first = await people.approver1.reviews('approve', id, '--reason', 'rotating it anyway');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`counted your approval of ${id}; pending (expires in`);
    expect(first.out).toContain('1/2 approvals');
    expect((await people.approver1.reviews('approve', id)).out).toContain('1/2 approvals');

    const window = await people.bob.reviews('approve', id, '--for', '5m');
    expect(window.code).toBe(1);
    expect(window.err).toContain('grants a single call only');

    const shown = await people.bob.reviews('show', id);
    expect(shown.out).toMatch(
      /decision: +\S+ approve by approver-1@example\.com via api: rotating it anyway \[signed, key k-/,
    );
    expect(shown.out).toContain('owner:     alice');
    expect(shown.out).toMatch(/history: +\S+ decision-refused by alice@example\.com: approve via api/);
    expect(shown.out).toContain(
      `next:      hoop-gateway reviews approve ${id}   |   hoop-gateway reviews reject ${id} --reason "…"`,
    );

    const second = await people.bob.reviews('approve', id);
    expect(second).toMatchObject({ code: 0 });
    expect(second.out).toContain(`approved ${id}`);
    expect((await call).status).toBe(200);
    expect(stack.upstreamCount('DELETE', SECRET_PATH)).toBe(1);

    const json = JSON.parse((await people.bob.reviews('show', id, '--output', 'json')).out) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ id, state: 'approved', decidedBy: 'bob@example.com' });
    const listed = await people.bob.reviews('list', '--state', 'approved');
    expect(listed.out).toMatch(
      new RegExp(`${id} .*delete secrets demo-token -n scratch @sandbox +ci-deployer`),
    );
  });

  it('says what is wrong, with exit codes a script can use', async () => {
    const bob = people.bob;
    expect(await bob.reviews('show', 'r-zzzzzz')).toMatchObject({
      code: 1,
      err: expect.stringContaining('no review r-zzzzzz'),
    });
    await expect(bob.reviews('approve', 'not-an-id')).rejects.toThrow('is not a review id');
    await expect(bob.reviews('reject', 'r-zzzzzz')).rejects.toThrow('needs --reason');
    await expect(bob.reviews('list', '--state', 'done')).rejects.toThrow('--state must be one of');
    await expect(bob.reviews('approve', 'r-zzzzzz', '--for', 'soon')).rejects.toThrow(
      '--for must be a duration',
    );
    await expect(bob.reviews('approve', 'r-zzzzzz', '--as', 'bob')).rejects.toThrow(
      '--as and --groups are gone',
    );
    expect(await bob.reviews('list', '--state', 'rejected')).toMatchObject({ code: 0, out: 'no reviews\n' });
    // Nobody signed in: a usage error that says how to sign in.
    await expect(
      run(['list', '--gateway', stack.gateway.url], {
        out: () => {},
        err: () => {},
        configDir: '/nonexistent',
      }),
    ).rejects.toThrow(
      `not signed in to ${stack.gateway.url}; run: hoop-gateway login --gateway ${stack.gateway.url}`,
    );
  });
});
