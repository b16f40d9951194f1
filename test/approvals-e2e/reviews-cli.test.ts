import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/reviews.ts';
import { rawRequest } from './raw-https.ts';
import { type ApprovalsStack, startApprovalsStack } from './support.ts';

/**
 * The terminal approver, called in-process through the same `run` the CLI uses: the policy's
 * approver rules (self-approval through the owner claim, distinct approvals, windows only where
 * the rule grants them), readable errors and exit codes. The requester is the CI client, whose
 * token carries `actor: alice`; `ownerClaim: actor` makes alice its owner.
 */
let stack: ApprovalsStack;
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
          review: { approvers: { users: ['approver-1', 'approver-2', 'alice'] }, minApprovals: 2 },
        },
      ],
    },
  });
});

afterAll(async () => {
  await stack?.close();
});

async function reviews(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = {
    out: (text: string) => {
      out += text;
    },
    err: (text: string) => {
      err += text;
    },
  };
  const code = await run([...args, '--config', stack.configFile], io);
  return { code, out, err };
}

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

    const self = await reviews('approve', id, '--as', 'Alice');
    expect(self.code).toBe(1);
    expect(self.err).toContain('not allowed: Alice requested this call (or owns the job that did)');

    const stranger = await reviews('approve', id, '--as', 'mallory');
    expect(stranger).toMatchObject({ code: 1 });
    expect(stranger.err).toContain('mallory is not an approver for rule "secret-delete"');

    const first = await reviews('approve', id, '--as', 'approver-1', '--reason', 'rotating it anyway');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`counted approver-1's approval of ${id}; pending (expires in`);
    expect(first.out).toContain('1/2 approvals');
    expect((await reviews('approve', id, '--as', 'APPROVER-1')).out).toContain('1/2 approvals');

    const window = await reviews('approve', id, '--as', 'approver-2', '--for', '5m');
    expect(window.code).toBe(1);
    expect(window.err).toContain('grants a single call only');

    const shown = await reviews('show', id);
    expect(shown.out).toMatch(/decision: +\S+ approve by approver-1 via terminal: rotating it anyway/);
    expect(shown.out).toContain('owner:     alice');
    // The hint reaches the same review: it carries the --config (and identity) show was given.
    expect(shown.out).toContain(
      `next:      hoop-gateway reviews approve ${id} --config ${stack.configFile}   |   ` +
        `hoop-gateway reviews reject ${id} --reason "…" --config ${stack.configFile}`,
    );
    expect((await reviews('show', id, '--as', 'approver-2', '--groups', 'on call')).out).toContain(
      `reviews approve ${id} --config ${stack.configFile} --as approver-2 --groups 'on call'`,
    );

    const second = await reviews('approve', id, '--as', 'approver-2');
    expect(second).toMatchObject({ code: 0 });
    expect(second.out).toContain(`approved ${id} as approver-2`);
    expect((await call).status).toBe(200);
    expect(stack.upstreamCount('DELETE', SECRET_PATH)).toBe(1);

    const json = JSON.parse((await reviews('show', id, '--output', 'json')).out) as Record<string, unknown>;
    expect(json).toMatchObject({ id, state: 'approved', decidedBy: 'approver-2' });
    const listed = await reviews('list', '--state', 'approved');
    expect(listed.out).toMatch(
      new RegExp(`${id} .*delete secrets demo-token -n scratch @sandbox +ci-deployer`),
    );
  });

  it('says what is wrong, with exit codes a script can use', async () => {
    expect(await reviews('show', 'r-zzzzzz')).toMatchObject({
      code: 1,
      err: expect.stringContaining('no review r-zzzzzz'),
    });
    await expect(reviews('approve', 'not-an-id')).rejects.toThrow('is not a review id');
    await expect(reviews('reject', 'r-zzzzzz')).rejects.toThrow('needs --reason');
    await expect(reviews('list', '--state', 'done')).rejects.toThrow('--state must be one of');
    await expect(reviews('approve', 'r-zzzzzz', '--for', 'soon')).rejects.toThrow('--for must be a duration');
    expect(await reviews('list', '--state', 'rejected')).toMatchObject({ code: 0, out: 'no reviews\n' });
  });
});
