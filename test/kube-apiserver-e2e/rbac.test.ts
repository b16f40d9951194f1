/**
 * The gateway in front of a real kube-apiserver with real RBAC: the gateway's own identity is the
 * hoop-gateway service account bound to the shipped manifests/rbac ClusterRole (impersonate users
 * and groups, nothing else); agents get their rights from Roles bound to their groups.
 *
 * Shows that the cluster, not only the gateway, refuses what RBAC does not grant the impersonated
 * agent (with a gateway policy that allows everything), that the gateway's own identity can do
 * nothing but impersonate, and that no token claim reaches `system:masters` (or any `system:`
 * group): the audit log's impersonatedUser is the proof of what the cluster saw.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { gatewayRequest } from '../e2e/helpers.ts';
import {
  type AuditEvent,
  BUILD_TIMEOUT_MS,
  describeWithKubeApiserver,
  GATEWAY_USER,
  type KubeApiserver,
  kubeApiserverVersion,
  startKubeApiserver,
} from '../support/kube-apiserver.ts';
import { runKubectl } from '../support/kubectl.ts';
import { type KubeApiserverStack, startKubeApiserverStack } from '../support/stack.ts';

const ALLOW_ALL = { default: 'allow', rules: [] };

/** Agents whose tokens carry group claims that must never become cluster groups. */
const HOSTILE_GROUPS = [
  'system:masters',
  ' system:masters',
  'system:masters ',
  '\tsystem:masters',
  'system:masters\t',
  '  system:masters  ',
  'system:authenticated',
  'system:nodes',
];
const HOSTILE = HOSTILE_GROUPS.map((group, i) => ({
  clientId: `hostile-${i}`,
  clientSecret: `hostile-${i}-secret-value`,
  groups: [group, 'ai-agents'],
}));

/**
 * An agent in two groups, the second of which alone is granted Secrets in `rbac-test`: each group
 * must reach the cluster as a header field of its own. Over HTTP/2 undici folds repeated request
 * fields into one comma-joined field, which kube-apiserver reads as a single group ("a, b"), so
 * this agent would lose its grant: the upstream pool stays on HTTP/1.1 (docs/performance.md).
 */
const TWO_GROUPS = {
  clientId: 'two-groups',
  clientSecret: 'two-groups-secret-value',
  groups: ['ai-agents', 'secret-readers'],
};

const READER_RBAC = `apiVersion: v1
kind: Namespace
metadata:
  name: rbac-test
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: visible
  namespace: rbac-test
data:
  hello: world
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: agents-read-configmaps
  namespace: rbac-test
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: agents-read-configmaps
  namespace: rbac-test
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: agents-read-configmaps
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: ai-agents
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: secret-readers
  namespace: rbac-test
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: secret-readers
  namespace: rbac-test
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: secret-readers
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: secret-readers
`;

describeWithKubeApiserver('real kube-apiserver: RBAC decides what an impersonated agent may do', () => {
  let apiserver: KubeApiserver;
  let stack: KubeApiserverStack;
  let kubeconfig: string;

  beforeAll(async () => {
    apiserver = await startKubeApiserver();
    await apiserver.applyAsAdmin(READER_RBAC);
    stack = await startKubeApiserverStack({
      apiserver,
      policy: ALLOW_ALL,
      extraAgents: [...HOSTILE, TWO_GROUPS],
    });
    kubeconfig = await stack.kubeconfigFor('agent-1');
  }, BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.close();
    await apiserver?.close();
  });

  const kubectl = (args: string[], stdin?: string) =>
    runKubectl({ kubeconfig, version: '1.33', args, ...(stdin === undefined ? {} : { stdin }) });

  it('the server is the real kube-apiserver of the pinned release', async () => {
    const run = await kubectl(['version', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { serverVersion: { gitVersion: string; minor: string } };
    expect(out.serverVersion.gitVersion).toBe(kubeApiserverVersion());
    expect(out.serverVersion.minor).toBe('33');
  });

  it('what a Role grants works through the gateway', async () => {
    const run = await kubectl(['get', 'configmap', 'visible', '-n', 'rbac-test', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ data: { hello: 'world' } });
  });

  it.each([
    [
      'a write the Role does not grant',
      ['-n', 'rbac-test', 'create', 'configmap', 'nope'],
      /configmaps is forbidden/,
    ],
    ['a read in another namespace', ['-n', 'default', 'get', 'configmaps'], /configmaps is forbidden/],
    ['secrets in the same namespace', ['-n', 'rbac-test', 'get', 'secrets'], /secrets is forbidden/],
    ['a cluster-scoped read', ['get', 'nodes'], /nodes is forbidden/],
    ['deleting the granted configmap', ['-n', 'rbac-test', 'delete', 'configmap', 'visible'], /forbidden/],
  ])('%s gets the cluster’s Forbidden although the gateway allowed it', async (_what, args, pattern) => {
    const run = await kubectl(args);
    expect(run.code).toBe(1);
    // kubectl words it `Error from server (Forbidden): …` or, for `create configmap`,
    // `error: failed to create configmap: … is forbidden: …`.
    expect(run.stderr).toMatch(/^(Error from server \(Forbidden\)|error: failed to create configmap): /);
    expect(run.stderr).toMatch(pattern);
    // The cluster names the impersonated agent, not the gateway.
    expect(run.stderr).toContain('User "hoop:agent-1"');
    // The gateway allowed it (policy default allow) and relayed the cluster's answer.
    const last = JSON.parse(stack.logLines.at(-1) ?? '{}') as { decision?: string; status?: number };
    expect(last).toMatchObject({ decision: 'allow', status: 403 });
  });

  it('the configmap the agent failed to delete is still there', async () => {
    const out = await apiserver.kubectlAsAdmin([
      'get',
      'configmap',
      'visible',
      '-n',
      'rbac-test',
      '-o',
      'name',
    ]);
    expect(out.trim()).toBe('configmap/visible');
  });

  it('the gateway’s own identity can impersonate and nothing else', async () => {
    const auth = (verb: string, resource: string, group = '') =>
      apiserver.adminRequest(
        'POST',
        '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        JSON.stringify({
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: GATEWAY_USER,
            groups: ['system:serviceaccounts', 'system:serviceaccounts:hoop-system', 'system:authenticated'],
            resourceAttributes: { verb, resource, group },
          },
        }),
      );
    const allowed = async (verb: string, resource: string, group = '') =>
      (JSON.parse((await auth(verb, resource, group)).body) as { status: { allowed: boolean } }).status
        .allowed;
    expect(await allowed('impersonate', 'users')).toBe(true);
    expect(await allowed('impersonate', 'groups')).toBe(true);
    expect(await allowed('impersonate', 'serviceaccounts')).toBe(false);
    expect(await allowed('get', 'secrets')).toBe(false);
    expect(await allowed('list', 'pods')).toBe(false);
    expect(await allowed('create', 'clusterrolebindings', 'rbac.authorization.k8s.io')).toBe(false);
    expect(await allowed('escalate', 'clusterroles', 'rbac.authorization.k8s.io')).toBe(false);
  });

  it('every request reached the cluster as the gateway service account impersonating the agent', async () => {
    const events = (await apiserver.auditEvents()).filter((e) => e.user.username === GATEWAY_USER);
    expect(events.length).toBeGreaterThan(5);
    for (const event of events) {
      // The gateway's token is only used to impersonate: every request it sent carries an agent.
      expect(event.impersonatedUser?.username, event.requestURI).toMatch(/^hoop:/);
    }
  });

  it('an agent in two groups reaches the cluster with both, each a group of its own', async () => {
    const token = await stack.issuer.issueToken(TWO_GROUPS.clientId);
    const auditId = globalThis.crypto.randomUUID();
    const response = await gatewayRequest(stack, {
      path: '/clusters/kube/api/v1/namespaces/rbac-test/secrets',
      token,
      headers: { 'audit-id': auditId },
    });
    // Only the second group is granted this list: it works only if that group arrived intact.
    expect(response.status, response.body).toBe(200);
    const [event] = await apiserver.auditEventsFor(auditId);
    expect(event?.impersonatedUser?.username).toBe(`hoop:${TWO_GROUPS.clientId}`);
    expect(event?.impersonatedUser?.groups).toEqual(
      expect.arrayContaining(['ai-agents', 'secret-readers', 'system:authenticated']),
    );
    expect(event?.impersonatedUser?.groups?.filter((g) => g.includes(','))).toEqual([]);
  });

  it('a watch by the same agent goes upstream over HTTP/2 with both groups, each of its own', async () => {
    const token = await stack.issuer.issueToken(TWO_GROUPS.clientId);
    const auditId = globalThis.crypto.randomUUID();
    const response = await gatewayRequest(stack, {
      path: '/clusters/kube/api/v1/namespaces/rbac-test/secrets?watch=true&timeoutSeconds=1',
      token,
      headers: { 'audit-id': auditId },
    });
    expect(response.status, response.body).toBe(200);
    const events = await apiserver.auditEventsFor(auditId);
    expect(events.map((e) => e.verb)).toContain('watch');
    for (const event of events) {
      expect(event.impersonatedUser?.groups).toEqual(expect.arrayContaining(['ai-agents', 'secret-readers']));
      expect(event.impersonatedUser?.groups?.filter((g) => g.includes(','))).toEqual([]);
    }
  });

  it.each(HOSTILE.map((a, i) => [JSON.stringify(HOSTILE_GROUPS[i]), a.clientId] as const))(
    'group claim %s never reaches the cluster',
    async (_claim, clientId) => {
      const token = await stack.issuer.issueToken(clientId);
      const auditId = globalThis.crypto.randomUUID();
      // Something only system:masters may do: read every secret in the cluster.
      const response = await gatewayRequest(stack, {
        path: '/clusters/kube/api/v1/secrets',
        token,
        headers: { 'audit-id': auditId },
      });
      expect(response.body).not.toMatch(/"kind":"SecretList"/);
      const message =
        response.status === 403 ? (JSON.parse(response.body) as { message: string }).message : '';
      if (message.includes('is forbidden: User "hoop:')) {
        // Forwarded: the cluster refused it, and audit shows which groups it impersonated.
        const events: AuditEvent[] = await apiserver.auditEventsFor(auditId);
        for (const event of events) {
          expect(event.user.username).toBe(GATEWAY_USER);
          expect(event.impersonatedUser?.username).toBe(`hoop:${clientId}`);
          const groups = event.impersonatedUser?.groups ?? [];
          expect(groups).toContain('ai-agents');
          expect(
            groups.filter((g) => g.trim().startsWith('system:') && g !== 'system:authenticated'),
          ).toEqual([]);
          expect(groups.map((g) => g.trim())).not.toContain('system:masters');
        }
      } else {
        // Refused by the gateway: nothing reached the cluster.
        expect(response.status).toBeGreaterThanOrEqual(400);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await apiserver.auditEvents()).filter((e) => e.auditID === auditId)).toEqual([]);
      }
    },
  );

  it('no audit event ever shows an impersonated system:masters', async () => {
    const events = await apiserver.auditEvents();
    const masters = events.filter((e) =>
      (e.impersonatedUser?.groups ?? []).some((g) => g.trim() === 'system:masters'),
    );
    expect(masters).toEqual([]);
  });
}, ['1.33']);
