import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/authn/caller.ts';
import { evaluate } from '../../src/policy/evaluate.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { classifyRequest } from '../../src/request/request-info.ts';

const agent: Caller = {
  issuer: 'https://issuer',
  subject: 'agent:claude',
  groups: ['ai-agents'],
  claims: {},
};
const ci: Caller = { issuer: 'https://issuer', subject: 'ci:deploy', groups: ['ci'], claims: {} };
const stranger: Caller = { issuer: 'https://issuer', subject: 'someone', groups: [], claims: {} };

const policy = loadPolicy(`
default: deny
rules:
  - name: agents-read
    action: allow
    match:
      groups: [ai-agents]
      verbs: [get, list, watch]
      resources: ["*"]
  - name: no-secrets
    action: deny
    message: Secrets are off limits for agents
    match:
      groups: [ai-agents]
      resources: [secrets]
  - name: ci-deploys
    action: allow
    match:
      subjects: ["ci:*"]
      verbs: [get, list, patch, update, create]
      apiGroups: [apps]
      resources: [deployments, deployments/scale, "*/status"]
      namespaces: ["team-*"]
  - name: prod-review
    action: review
    message: Production changes need a human
    match:
      clusters: ["prod-*"]
      verbs: [create, update, patch, delete, deletecollection]
    review:
      approvers: { groups: [sre] }
      minApprovals: 1
      timeout: 15m
      grant: { window: 1h }
  - name: agents-exec-dev
    action: allow
    match:
      groups: [ai-agents]
      clusters: [dev]
      resources: ["pods/*"]
      verbs: [create]
  - name: no-payments
    action: deny
    match:
      namespaces: [payments]
  - name: protect-aws-auth
    action: deny
    match:
      resources: [configmaps]
      names: [aws-auth]
  - name: db-pods
    action: allow
    match:
      subjects: [dba]
      resources: [pods]
      names: ["db-*"]
  - name: cluster-things
    action: allow
    match:
      subjects: [admin]
      namespaces: [""]
  - name: metrics
    action: allow
    match:
      subjects: [scraper]
      nonResourceURLs: ["/metrics", "/metrics/*"]
  - name: no-openapi-for-strangers
    action: deny
    match:
      subjects: [someone]
      nonResourceURLs: ["/openapi/*"]
`);

type Row = [string, Caller, string, string, string, string];
const decide = (caller: Caller, cluster: string, method: string, target: string) => {
  const [path, query = ''] = target.split('?') as [string, string?];
  return evaluate(policy, { caller, cluster, info: classifyRequest(method, path, query) });
};

// [title, caller, cluster, method, path, expected "action rule"]
const rows: Row[] = [
  ['allow by group', agent, 'dev', 'GET', '/api/v1/namespaces/default/pods', 'allow agents-read'],
  ['deny beats allow', agent, 'dev', 'GET', '/api/v1/namespaces/default/secrets/s1', 'deny no-secrets'],
  ['deny beats allow across namespaces', agent, 'dev', 'GET', '/api/v1/secrets?watch=1', 'deny no-secrets'],
  ['no match → default deny', agent, 'dev', 'DELETE', '/api/v1/namespaces/default/pods/p1', 'deny default'],
  [
    'review beats allow',
    ci,
    'prod-eu',
    'PATCH',
    '/apis/apps/v1/namespaces/team-a/deployments/web',
    'review prod-review',
  ],
  [
    'allow outside prod',
    ci,
    'dev',
    'PATCH',
    '/apis/apps/v1/namespaces/team-a/deployments/web',
    'allow ci-deploys',
  ],
  [
    'deny beats review',
    agent,
    'prod-eu',
    'DELETE',
    '/api/v1/namespaces/default/secrets/s1',
    'deny no-secrets',
  ],
  ['apiGroups must match', ci, 'dev', 'PATCH', '/api/v1/namespaces/team-a/pods/p1', 'deny default'],
  [
    'listed subresource matches',
    ci,
    'dev',
    'PUT',
    '/apis/apps/v1/namespaces/team-a/deployments/web/scale',
    'allow ci-deploys',
  ],
  [
    '*/status matches any status',
    ci,
    'dev',
    'PUT',
    '/apis/apps/v1/namespaces/team-a/replicasets/r/status',
    'allow ci-deploys',
  ],
  [
    'resource does not match its subresource',
    ci,
    'dev',
    'GET',
    '/apis/apps/v1/namespaces/team-a/deployments/web/rollback',
    'deny default',
  ],
  [
    'namespace glob must match',
    ci,
    'dev',
    'PATCH',
    '/apis/apps/v1/namespaces/other/deployments/web',
    'deny default',
  ],
  [
    '"*" matches subresources',
    agent,
    'dev',
    'GET',
    '/api/v1/namespaces/default/pods/p1/log',
    'allow agents-read',
  ],
  [
    'pods/* matches exec (create, even over GET)',
    agent,
    'dev',
    'GET',
    '/api/v1/namespaces/default/pods/p1/exec',
    'allow agents-exec-dev',
  ],
  ['pods/* does not match pods', agent, 'dev', 'POST', '/api/v1/namespaces/default/pods', 'deny default'],
  [
    'exec on prod is reviewed',
    agent,
    'prod-eu',
    'POST',
    '/api/v1/namespaces/default/pods/p1/exec',
    'review prod-review',
  ],
  ['deny namespace', agent, 'dev', 'GET', '/api/v1/namespaces/payments/pods', 'deny no-payments'],
  [
    'deny namespace covers the namespace object',
    agent,
    'dev',
    'GET',
    '/api/v1/namespaces/payments',
    'deny no-payments',
  ],
  ['deny namespace covers all-namespace lists', agent, 'dev', 'GET', '/api/v1/pods', 'deny no-payments'],
  [
    'deny namespace skips named cluster-scoped objects',
    agent,
    'dev',
    'GET',
    '/api/v1/nodes/n1',
    'allow agents-read',
  ],
  [
    'deny names covers the named object',
    agent,
    'dev',
    'GET',
    '/api/v1/namespaces/kube-system/configmaps/aws-auth',
    'deny protect-aws-auth',
  ],
  [
    'deny names covers lists (they include it)',
    agent,
    'dev',
    'GET',
    '/api/v1/namespaces/kube-system/configmaps',
    'deny protect-aws-auth',
  ],
  [
    'deny names skips other names',
    agent,
    'dev',
    'GET',
    '/api/v1/namespaces/kube-system/configmaps/other',
    'allow agents-read',
  ],
  [
    'allow names needs a name',
    { ...stranger, subject: 'dba' },
    'dev',
    'GET',
    '/api/v1/namespaces/db/pods',
    'deny default',
  ],
  [
    'allow names matches glob',
    { ...stranger, subject: 'dba' },
    'dev',
    'GET',
    '/api/v1/namespaces/db/pods/db-0',
    'allow db-pods',
  ],
  [
    'fieldSelector name counts',
    { ...stranger, subject: 'dba' },
    'dev',
    'GET',
    '/api/v1/namespaces/db/pods?fieldSelector=metadata.name%3Ddb-1',
    'allow db-pods',
  ],
  [
    '"" namespace entry matches cluster-scoped',
    { ...stranger, subject: 'admin' },
    'dev',
    'DELETE',
    '/api/v1/nodes/n1',
    'allow cluster-things',
  ],
  [
    '"" namespace entry skips namespaced',
    { ...stranger, subject: 'admin' },
    'dev',
    'DELETE',
    '/api/v1/namespaces/x/pods/p',
    'deny default',
  ],
  ['builtin discovery', stranger, 'dev', 'GET', '/apis/apps/v1', 'allow builtin:discovery'],
  ['builtin discovery: /api', stranger, 'dev', 'GET', '/api', 'allow builtin:discovery'],
  ['builtin discovery: /version', stranger, 'dev', 'GET', '/version', 'allow builtin:discovery'],
  [
    'builtin discovery: /openapi/v2',
    { ...stranger, subject: 'x' },
    'dev',
    'GET',
    '/openapi/v2',
    'allow builtin:discovery',
  ],
  ['builtin discovery: HEAD /healthz', stranger, 'dev', 'HEAD', '/healthz', 'allow builtin:discovery'],
  ['builtin discovery: trailing slash', stranger, 'dev', 'GET', '/apis/', 'allow builtin:discovery'],
  ['builtin does not allow POST', stranger, 'dev', 'POST', '/api', 'deny default'],
  ['builtin does not allow /metrics', stranger, 'dev', 'GET', '/metrics', 'deny default'],
  [
    'deny overrides builtin',
    stranger,
    'dev',
    'GET',
    '/openapi/v3/apis/apps/v1',
    'deny no-openapi-for-strangers',
  ],
  [
    'nonResourceURLs glob',
    { ...stranger, subject: 'scraper' },
    'dev',
    'GET',
    '/metrics/cadvisor',
    'allow metrics',
  ],
  ['review never holds non-resource requests', agent, 'prod-eu', 'POST', '/apis', 'deny default'],
];

describe('evaluate', () => {
  it.each(rows)('%s', (_title, caller, cluster, method, path, expected) => {
    const decision = decide(caller, cluster, method, path);
    expect(`${decision.action} ${decision.rule}`).toBe(expected);
  });

  it('lists every matching rule and explains a deny for agent and person', () => {
    const decision = decide(agent, 'prod-eu', 'DELETE', '/api/v1/namespaces/default/secrets/s1');
    expect(decision.matched).toEqual([
      { name: 'no-secrets', action: 'deny' },
      { name: 'prod-review', action: 'review' },
    ]);
    expect(decision.message).toContain('rule "no-secrets" denies "delete" on secrets "s1"');
    expect(decision.message).toContain('Secrets are off limits for agents.');
    expect(decision.message).toContain('retrying the same request will not help');
  });

  it('an allow rule with namespaces does not match an all-namespace list; a deny rule does', () => {
    const decision = decide(ci, 'dev', 'GET', '/apis/apps/v1/deployments');
    expect(decision).toMatchObject({ action: 'deny', rule: 'no-payments' });
    expect(decision.matched).toEqual([{ name: 'no-payments', action: 'deny' }]);
  });

  it('returns the review settings as data', () => {
    const decision = decide(ci, 'prod-eu', 'PATCH', '/apis/apps/v1/namespaces/team-a/deployments/web');
    expect(decision.review).toEqual({
      name: 'prod-review',
      message: 'Production changes need a human',
      approvers: { users: [], groups: ['sre'] },
      minApprovals: 1,
      timeoutSeconds: 900,
      grant: { kind: 'window', maxSeconds: 3600 },
    });
  });

  it('honours default allow and builtinDiscovery: false', () => {
    const open = loadPolicy({ default: 'allow', rules: [] });
    const info = classifyRequest('DELETE', '/api/v1/namespaces/a/pods/b', '');
    expect(evaluate(open, { caller: stranger, cluster: 'c', info })).toMatchObject({
      action: 'allow',
      rule: 'default',
    });
    const closed = loadPolicy({ builtinDiscovery: false });
    const discovery = classifyRequest('GET', '/api', '');
    expect(evaluate(closed, { caller: stranger, cluster: 'c', info: discovery })).toMatchObject({
      action: 'deny',
      rule: 'default',
    });
  });
});
