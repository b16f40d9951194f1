import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/authn/caller.ts';
import { evaluate } from '../../src/policy/evaluate.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import type { RuleAction } from '../../src/policy/policy.types.ts';
import { classifyRequest } from '../../src/request/request-info.ts';

/**
 * "Most restrictive wins" as properties over random policies and requests: adding a deny rule
 * never loosens a decision, and rule order never changes the action.
 */

const rank: Record<RuleAction, number> = { allow: 0, review: 1, deny: 2 };

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const list = (...values: string[]) =>
  fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 });

const resourceMatch = fc.record(
  {
    subjects: maybe(list('agent:*', 'ci:*', 'agent:a', '*')),
    groups: maybe(list('ai-agents', 'ci', 'sre')),
    clusters: maybe(list('prod-*', 'dev', '*')),
    verbs: maybe(list('get', 'list', 'watch', 'create', 'delete', 'deletecollection', 'patch', '*')),
    apiGroups: maybe(list('', 'apps', '*')),
    resources: maybe(list('pods', 'pods/*', 'pods/exec', 'secrets', '*/status', 'deployments', '*')),
    namespaces: maybe(list('', 'default', 'pay*', 'kube-system')),
    names: maybe(list('p1', 'db-*', 's?')),
  },
  { requiredKeys: [] },
);
const urlMatch = fc.record(
  {
    subjects: maybe(list('agent:*', 'ci:*')),
    verbs: maybe(list('get', 'head', 'post', '*')),
    nonResourceURLs: list('/healthz', '/metrics*', '/apis/*', '/openapi/*', '/version'),
  },
  { requiredKeys: ['nonResourceURLs'] },
);
const action = fc.constantFrom<RuleAction>('allow', 'deny', 'review');
const rule = fc
  .tuple(action, fc.oneof({ weight: 4, arbitrary: resourceMatch }, { weight: 1, arbitrary: urlMatch }))
  .map(([a, match]) => ({
    action: 'nonResourceURLs' in match && a === 'review' ? ('allow' as const) : a,
    match: JSON.parse(JSON.stringify(match)) as Record<string, string[]>,
  }));
const named = (rules: Array<{ action: RuleAction; match: Record<string, string[]> }>, prefix: string) =>
  rules.map((r, i) => ({ name: `${prefix}${i}`, ...r }));

const policyDoc = fc.record({
  default: fc.constantFrom('allow', 'deny'),
  builtinDiscovery: fc.boolean(),
  rules: fc.array(rule, { maxLength: 6 }),
});

const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'),
  path: fc.constantFrom(
    '/api/v1/namespaces/default/pods',
    '/api/v1/namespaces/default/pods/p1',
    '/api/v1/namespaces/default/pods/p1/exec',
    '/api/v1/namespaces/payments/secrets/s1',
    '/api/v1/secrets',
    '/api/v1/nodes/n1',
    '/api/v1/namespaces/kube-system',
    '/apis/apps/v1/namespaces/default/deployments/db-0/status',
    '/apis/apps/v1',
    '/healthz',
    '/metrics',
    '/version',
  ),
  query: fc.constantFrom('', 'watch=1', 'fieldSelector=metadata.name%3Ddb-1'),
  subject: fc.constantFrom('agent:a', 'agent:b', 'ci:deploy', 'human'),
  groups: fc.subarray(['ai-agents', 'ci', 'sre']),
  cluster: fc.constantFrom('prod-eu', 'dev', 'staging'),
});

type Req = typeof request extends fc.Arbitrary<infer R> ? R : never;

function decide(doc: unknown, req: Req) {
  const caller: Caller = { issuer: 'i', subject: req.subject, groups: req.groups, claims: {} };
  const info = classifyRequest(req.method, req.path, req.query);
  return evaluate(loadPolicy(doc), { caller, cluster: req.cluster, info });
}

describe('evaluate properties', () => {
  it('adding a deny rule never turns a deny (or a review) into something looser', () => {
    fc.assert(
      fc.property(policyDoc, resourceMatch, fc.nat(), request, (doc, denyMatch, at, req) => {
        const rules = named(doc.rules, 'r');
        const before = decide({ ...doc, rules }, req);
        const extended = [...rules];
        extended.splice(at % (rules.length + 1), 0, {
          name: 'added-deny',
          action: 'deny',
          match: JSON.parse(JSON.stringify(denyMatch)),
        });
        const after = decide({ ...doc, rules: extended }, req);
        expect(rank[after.action]).toBeGreaterThanOrEqual(rank[before.action]);
        if (before.action === 'deny') expect(after.action).toBe('deny');
      }),
      { numRuns: 1500 },
    );
  });

  it('rule order never changes the action', () => {
    fc.assert(
      fc.property(policyDoc, request, (doc, req) => {
        const rules = named(doc.rules, 'r');
        const forward = decide({ ...doc, rules }, req);
        const backward = decide({ ...doc, rules: [...rules].reverse() }, req);
        expect(backward.action).toBe(forward.action);
        expect(new Set(backward.matched.map((m) => m.name))).toEqual(
          new Set(forward.matched.map((m) => m.name)),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
