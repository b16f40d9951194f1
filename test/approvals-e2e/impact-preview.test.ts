import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SEED_VALUES } from '@hoop-gateway/sandbox/server';
import { afterEach, expect, it } from 'vitest';
import type { Review } from '../../src/approvals/review.types.ts';
import { describeWithKubectl, runKubectl } from '../support/kubectl.ts';
import { signIn } from '../support/people.ts';
import { APPROVER, type ApprovalsStack, startApprovalsStack } from './support.ts';

/**
 * Issue 18 end to end with the real kubectl: a held call's review carries the impact preview the
 * gateway computed as the agent (counts for a namespace delete, the changed fields of an apply or
 * a scale, masked secret values), `reviews show` prints it, a kind the agent may not list stays
 * out of it, and `autoApprove.deleteAtMost` lets an empty namespace go without a person.
 */
let stack: ApprovalsStack | undefined;

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const settings = { approvers: { users: [APPROVER] } };

const POLICY = {
  default: 'deny',
  rules: [
    { name: 'agents-read', action: 'allow', match: { verbs: ['get', 'list', 'watch'] } },
    {
      name: 'empty-namespace-delete',
      action: 'review',
      match: { resources: ['namespaces'], names: ['empty-*'], verbs: ['delete'] },
      review: { ...settings, autoApprove: { deleteAtMost: { pods: 0, deployments: 0 } } },
    },
    {
      name: 'namespace-delete',
      action: 'review',
      match: { resources: ['namespaces'], verbs: ['delete'] },
      review: { ...settings, autoApprove: { deleteAtMost: { pods: 0 } } },
    },
    {
      name: 'writes',
      action: 'review',
      match: {
        resources: ['deployments', 'deployments/scale', 'secrets'],
        verbs: ['create', 'update', 'patch'],
      },
      review: settings,
    },
  ],
};

/** Starts kubectl, waits for its review, rejects it (so kubectl ends), returns review and result. */
async function held(args: string[]): Promise<{ review: Review; stderr: string }> {
  const kubeconfig = await stack!.kubeconfigFor('agent-1');
  const kubectl = runKubectl({ kubeconfig, version: '1.33', args, timeoutMs: 60_000 });
  const [review] = await stack!.pending();
  await stack!.decide(review!.id, 'reject', 'preview test');
  const result = await kubectl;
  return { review: review!, stderr: result.stderr };
}

/** `hoop-gateway reviews show ID` as a signed-in person (reviews are read through the approvals API). */
async function show(id: string): Promise<string> {
  const person = await signIn(stack!, 'alice');
  const shown = await person.reviews('show', id);
  return shown.out + shown.err;
}

describeWithKubectl(['1.33'], 'impact preview on held kubectl calls', () => {
  it('a namespace delete shows what the namespace holds, by kind, and `reviews show` prints it', async () => {
    stack = await startApprovalsStack({ policy: POLICY });
    stack.sandbox.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker-1', namespace: 'scratch' },
      spec: { containers: [{ name: 'w', image: 'busybox' }] },
    });
    const { review } = await held(['delete', 'namespace', 'scratch']);
    const impact = review.impact!;
    expect(impact).toMatchObject({ kind: 'delete', complete: true, problems: [] });
    for (const resource of ['pods', 'configmaps', 'secrets', 'serviceaccounts', 'services', 'deployments']) {
      const expected = stack.sandbox.store.list(resource, 'scratch').length;
      const shown = impact.affected!.find((a) => a.resource === resource)?.count ?? 0;
      expect({ resource, count: shown }).toEqual({ resource, count: expected });
    }
    expect(impact.affected!.find((a) => a.resource === 'pods')).toMatchObject({
      count: 1,
      names: ['worker-1'],
    });
    // One pod: namespace-delete's deleteAtMost { pods: 0 } does not hold, so a person was asked.
    expect(review.state).toBe('pending');
    expect(stack.sandbox.store.get('namespaces', '', 'scratch')).toBeDefined();

    const printed = await show(review.id);
    expect(printed).toMatch(/impact: +would delete \d+ objects: /);
    expect(printed).toContain('1 Pod (pods): worker-1');
    expect(printed).toContain('1 Secret (secrets): demo-token');
  });

  it('a kind the agent may not list is left out, and the preview says it is incomplete', async () => {
    stack = await startApprovalsStack({ policy: POLICY });
    stack.sandbox.refusals.push({ group: 'ai-agents', verb: 'list', resource: 'secrets' });
    const { review } = await held(['delete', 'namespace', 'scratch']);
    const impact = review.impact!;
    expect(impact.complete).toBe(false);
    expect(impact.unlistable).toBe(1);
    expect(impact.affected!.map((a) => a.resource)).not.toContain('secrets');
    expect(JSON.stringify(impact)).not.toMatch(/secret|demo-token/i);
    expect(impact.affected!.find((a) => a.resource === 'configmaps')?.count).toBe(1);
  });

  it('a held kubectl scale shows the replica change, and nothing is stored by the dry run', async () => {
    stack = await startApprovalsStack({ policy: POLICY });
    const { review } = await held(['scale', 'deployment', 'web', '-n', 'default', '--replicas=5']);
    expect(review.impact).toMatchObject({ kind: 'change', complete: true, changeCount: 1 });
    expect(review.impact!.changes).toEqual([{ path: 'spec.replicas', op: 'changed', from: '2', to: '5' }]);
    const web = stack.sandbox.store.get('deployments', 'default', 'web')!;
    expect((web['spec'] as { replicas: number }).replicas).toBe(2);
  });

  it('a held kubectl apply of a changed deployment shows the changed fields, env values masked', async () => {
    stack = await startApprovalsStack({ policy: POLICY });
    const live = stack.sandbox.store.get('deployments', 'default', 'web')!;
    type Env = { name: string; value?: string };
    type Deployment = {
      metadata: Record<string, unknown>;
      status?: unknown;
      spec: { replicas: number; template: { spec: { containers: Array<{ image: string; env: Env[] }> } } };
    };
    const changed = structuredClone(live) as unknown as Deployment;
    for (const noise of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'])
      delete changed.metadata[noise];
    delete changed.status;
    changed.spec.replicas = 3;
    const container = changed.spec.template.spec.containers[0]!;
    container.image = 'nginx:1.28';
    container.env = container.env.map((e) =>
      e.name === 'DB_PASSWORD' ? { ...e, value: 'n3w-pa55word-rotated' } : e,
    );
    const file = join(stack.dir, 'web.json');
    await writeFile(file, JSON.stringify(changed));
    const { review } = await held(['apply', '-f', file]);
    const impact = review.impact!;
    expect(impact).toMatchObject({ kind: 'change', complete: true });
    const byPath = new Map(impact.changes!.map((c) => [c.path, c]));
    expect(byPath.get('spec.replicas')).toMatchObject({ op: 'changed', from: '2', to: '3' });
    expect(byPath.get('spec.template.spec.containers[0].image')).toMatchObject({
      from: '"nginx:1.27"',
      to: '"nginx:1.28"',
    });
    const env = [...byPath.values()].find((c) => c.path.includes('env'));
    expect(env?.path).toBe('spec.template.spec.containers[0].env[1].value');
    const text = JSON.stringify(await stack.store.get(review.id));
    expect(text).not.toContain('n3w-pa55word-rotated');
    expect(text).not.toContain(SEED_VALUES.webDbPassword);
    expect(await show(review.id)).toMatch(/would change \d+ fields: .*spec\.replicas 2 → 3/);
  });

  it('a secret in the diff is masked on both sides (server-side apply)', async () => {
    stack = await startApprovalsStack({ policy: POLICY });
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db-credentials', namespace: 'payments' },
      type: 'Opaque',
      data: {
        username: Buffer.from('ledger').toString('base64'),
        password: Buffer.from('rotated-ledger-pw').toString('base64'),
      },
    };
    const file = join(stack.dir, 'secret.json');
    await writeFile(file, JSON.stringify(secret));
    const { review } = await held(['apply', '--server-side', '--force-conflicts', '-f', file]);
    const impact = review.impact!;
    expect(impact).toMatchObject({ kind: 'change', complete: true });
    const password = impact.changes!.find((c) => c.path === 'data.password');
    expect(password).toMatchObject({ op: 'changed' });
    expect(password!.from).not.toContain(Buffer.from(SEED_VALUES.ledgerDbPassword).toString('base64'));
    const text = JSON.stringify(await stack.store.get(review.id));
    for (const value of [SEED_VALUES.ledgerDbPassword, 'rotated-ledger-pw']) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(Buffer.from(value).toString('base64'));
    }
  });

  it('autoApprove.deleteAtMost lets an empty namespace go without a person, and says so', async () => {
    stack = await startApprovalsStack({ policy: POLICY });
    stack.sandbox.store.create('namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'empty-1' },
    });
    await stack.sandbox.settle();
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const result = await runKubectl({
      kubeconfig,
      version: '1.33',
      args: ['delete', 'namespace', 'empty-1'],
      timeoutMs: 30_000,
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(stack.sandbox.store.get('namespaces', '', 'empty-1')).toBeUndefined();
    const [review] = await stack.store.list({ limit: 10 });
    expect(review).toMatchObject({ state: 'approved', decidedBy: 'hoop-gateway:auto-approve' });
    expect(review!.decisions[0]).toMatchObject({ via: 'auto' });
    expect(review!.decisions[0]!.reason).toMatch(
      /auto-approved by preview: rule "empty-namespace-delete" autoApprove\.deleteAtMost holds: 0 pods \(at most 0\), 0 deployments \(at most 0\)/,
    );
    const line = stack.logs().find((l) => l['review'] === review!.id && l['status'] === 200);
    expect(String(line?.['reviewOutcome'])).toMatch(
      /^auto-approved by preview: rule "empty-namespace-delete"/,
    );
  });
});
