import { describe, expect, it } from 'vitest';
import { authorize } from '../../gateway/pipeline/authorize.ts';
import type { PolicyEngine } from '../../gateway/runtime.ts';
import { evaluate } from '../../src/policy/evaluate.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { runStage } from '../support/run-stage.ts';
import { caller, cluster, info } from '../support/stage-fixtures.ts';

/**
 * authorize promises: `deny` ends the request with a 403 whose message names the rule (the
 * policy's own words included); `allow` continues with the decision in the context; `review`
 * continues too, with the decision, its message and the rule's review settings left for the
 * review stage. The engine is the real compiled policy, wired as the gateway wires it.
 */

const POLICY = loadPolicy({
  default: 'deny',
  rules: [
    {
      name: 'no-secrets',
      action: 'deny',
      message: 'Secrets are off limits',
      match: { resources: ['secrets'] },
    },
    {
      name: 'agents-read',
      action: 'allow',
      match: { groups: ['ai-agents'], verbs: ['get', 'list', 'watch'] },
    },
    {
      name: 'prod-deletes',
      action: 'review',
      message: 'Deleting in prod needs a human.',
      match: { clusters: ['prod'], verbs: ['delete'] },
      review: {
        approvers: { users: ['bob'] },
        grant: { window: '10m' },
        autoApprove: { groups: ['trusted'] },
      },
    },
    { name: 'staging-deletes', action: 'allow', match: { clusters: ['staging'], verbs: ['delete'] } },
  ],
});
const ENGINE: PolicyEngine = { evaluate: (input) => evaluate(POLICY, input) };

interface Row {
  name: string;
  cluster?: string;
  groups?: string[];
  method: string;
  path: string;
  /** For a pass: the decision next sees. */
  decision?: Record<string, unknown>;
  /** For a refusal: the 403's message, and the rule in the context. */
  denied?: { rule: string; message: RegExp };
}

const rows: Row[] = [
  {
    name: 'an allow rule → next, decision allow',
    method: 'GET',
    path: '/api/v1/namespaces/shop/pods',
    decision: { action: 'allow', rule: 'agents-read' },
  },
  {
    name: 'the builtin discovery rule → next',
    method: 'GET',
    path: '/api',
    groups: [],
    decision: { action: 'allow', rule: 'builtin:discovery' },
  },
  {
    name: 'an allow rule scoped to the cluster → next',
    cluster: 'staging',
    method: 'DELETE',
    path: '/api/v1/namespaces/shop/pods/web-1',
    decision: { action: 'allow', rule: 'staging-deletes' },
  },
  {
    name: 'a review rule → next, with the message and review settings',
    method: 'DELETE',
    path: '/api/v1/namespaces/shop/pods/web-1',
    decision: {
      action: 'review',
      rule: 'prod-deletes',
      message: expect.stringMatching(
        /rule "prod-deletes" requires human approval for "delete" on pods "web-1".*The policy says: Deleting in prod needs a human\./,
      ),
      review: expect.objectContaining({
        name: 'prod-deletes',
        approvers: { users: ['bob'], groups: [] },
        grant: { kind: 'window', maxSeconds: 600 },
        autoApprove: { groups: ['trusted'] },
      }),
    },
  },
  {
    name: 'a deny rule → 403 naming the rule, with its message',
    method: 'GET',
    path: '/api/v1/namespaces/shop/secrets/db',
    denied: {
      rule: 'no-secrets',
      message:
        /^hoop-gateway policy rule "no-secrets" denies "get" on secrets "db" in namespace "shop" on cluster "prod" for "agent-1"\. The policy says: Secrets are off limits\./,
    },
  },
  {
    name: 'deny wins over a matching allow',
    method: 'GET',
    path: '/api/v1/secrets',
    denied: { rule: 'no-secrets', message: /rule "no-secrets" denies "list" on secrets/ },
  },
  {
    name: 'no rule matches, default deny → 403 saying so',
    method: 'POST',
    path: '/api/v1/namespaces/shop/configmaps',
    denied: { rule: 'default', message: /no rule allows it and the policy's default is deny/ },
  },
  {
    name: 'a caller outside the allowed group → default deny',
    groups: ['strangers'],
    method: 'GET',
    path: '/api/v1/namespaces/shop/pods',
    denied: { rule: 'default', message: /denies "list" on pods .* for "agent-1"/ },
  },
];

describe('authorize', () => {
  it.each(rows)('$name', async (row) => {
    const [path, query = ''] = row.path.split('?');
    const run = await runStage(authorize(ENGINE), {
      method: row.method,
      ctx: {
        caller: caller(row.groups ? { groups: row.groups } : {}),
        cluster: cluster(row.cluster ?? 'prod'),
        info: info(row.method, path ?? '/', query),
      },
    });
    if (row.denied) {
      expect(run.next.calls).toBe(0);
      expect(run.status).toBe(403);
      expect(run.kubeStatus).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
      expect(run.kubeStatus?.message).toMatch(row.denied.message);
      expect(run.ctx.decision).toEqual({ action: 'deny', rule: row.denied.rule });
      expect(run.ctx.refusal).toBe('policy');
    } else {
      expect(run.thrown).toBeUndefined();
      expect(run.next.calls).toBe(1);
      expect(run.next.ctx?.decision).toEqual(row.decision);
      expect(run.next.ctx?.refusal).toBeUndefined();
    }
  });
});
