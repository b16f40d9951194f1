/**
 * The real kubectl 1.31 and 1.33 through the gateway to a real kube-apiserver (no kubelet: only
 * what the API server itself answers). Agents (group ai-agents) may read everything and change
 * anything in `scratch`, both in cluster RBAC and in the gateway policy (test/e2e/policy.ts), so
 * every command here is judged twice. The cluster holds the sandbox's seed objects, and the
 * shared masking tests (test/e2e/masking-suite.ts) run against it unchanged.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayRequest, openStream } from '../e2e/helpers.ts';
import { expectNoSecret, kubectlMaskingTests, MARKER_BASE64 } from '../e2e/masking-suite.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import {
  BUILD_TIMEOUT_MS,
  describeWithKubeApiserver,
  type KubeApiserver,
  seedLikeSandbox,
  startKubeApiserver,
} from '../support/kube-apiserver.ts';
import { type KubectlResult, runKubectl, spawnKubectl, waitForOutput } from '../support/kubectl.ts';
import { type KubeApiserverStack, startKubeApiserverStack } from '../support/stack.ts';

const VERSIONS = ['1.31', '1.33'] as const;

/** The e2e policy, plus `kubectl auth can-i` (a SelfSubjectAccessReview is a `create`). */
const POLICY = {
  ...E2E_POLICY,
  rules: [
    ...E2E_POLICY.rules,
    {
      name: 'agents-can-i',
      action: 'allow',
      message: 'Agents may ask the cluster what they may do.',
      match: {
        groups: ['ai-agents'],
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews'],
      },
    },
  ],
};

const AGENT_RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agents-read-everything
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: agents-read-everything
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: agents-read-everything
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: ai-agents
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: agents-change-scratch
  namespace: scratch
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: agents-change-scratch
  namespace: scratch
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: agents-change-scratch
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: ai-agents
`;

function configMapYaml(name: string, data: Record<string, string>): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: scratch\ndata:\n${lines.join('\n')}\n`;
}

describeWithKubeApiserver(
  'kubectl through the gateway to a real kube-apiserver',
  () => {
    let apiserver: KubeApiserver;
    let stack: KubeApiserverStack;
    let kubeconfig: string;

    beforeAll(async () => {
      apiserver = await startKubeApiserver();
      await seedLikeSandbox(apiserver);
      await apiserver.applyAsAdmin(AGENT_RBAC);
      stack = await startKubeApiserverStack({ apiserver, policy: POLICY });
      kubeconfig = await stack.kubeconfigFor('agent-1');
    }, BUILD_TIMEOUT_MS);
    afterAll(async () => {
      await stack?.close();
      await apiserver?.close();
    });

    /** The data of a scratch ConfigMap as the cluster holds it (read as the admin), or undefined. */
    const configMapData = async (name: string): Promise<Record<string, string> | undefined> => {
      const response = await apiserver.adminRequest('GET', `/api/v1/namespaces/scratch/configmaps/${name}`);
      if (response.status === 404) return undefined;
      return (JSON.parse(response.body) as { data?: Record<string, string> }).data ?? {};
    };

    for (const version of VERSIONS) {
      describe(`kubectl ${version}`, () => {
        const suffix = version.replace('.', '-');
        const kubectl = (args: string[], stdin?: string): Promise<KubectlResult> =>
          runKubectl({
            kubeconfig,
            version,
            args,
            timeoutMs: 30_000,
            ...(stdin === undefined ? {} : { stdin }),
          });
        const ok = async (args: string[], stdin?: string): Promise<string> => {
          const run = await kubectl(args, stdin);
          expect(run.stderr).toBe('');
          expect(run.code).toBe(0);
          return run.stdout;
        };

        it('get one object as JSON, and a Table', async () => {
          const pod = JSON.parse(await ok(['get', 'pod', 'ledger-0', '-n', 'payments', '-o', 'json'])) as {
            metadata: { name: string; namespace: string; uid: string };
          };
          expect(pod.metadata).toMatchObject({ name: 'ledger-0', namespace: 'payments' });
          expect(pod.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
          const table = await ok(['get', 'pods', '-n', 'payments']);
          // No kubelet, no scheduler: the pod stays Pending.
          expect(table).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
          expect(table).toMatch(/^ledger-0\s+0\/1\s+Pending\s+0\s+/m);
          const wide = await ok(['get', 'deploy', '-A', '-o', 'wide']);
          expect(wide).toMatch(
            /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES/m,
          );
          expect(wide).toMatch(/^default\s+web\s+0\/2\s/m);
        });

        it('list with selectors, across namespaces, paged', async () => {
          expect((await ok(['get', 'deploy', '-A', '-l', 'app=web', '-o', 'name'])).trim()).toBe(
            'deployment.apps/web',
          );
          const paged = await ok(['get', 'configmaps', '-A', '--chunk-size=1', '-o', 'name']);
          expect(paged).toContain('configmap/web-config');
          expect(paged).toContain('configmap/ledger-config');
          const none = await kubectl(['get', 'pods', '-A', '-l', 'app=nothing-has-this']);
          expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found\n' });
          const byField = await ok([
            'get',
            'configmaps',
            '-A',
            '--field-selector',
            'metadata.name=notes',
            '-o',
            'name',
          ]);
          expect(byField.trim()).toBe('configmap/notes');
        });

        it('create, apply (client-side, then server-side), patch (strategic, merge, json) and delete', async () => {
          const created = `created-${suffix}`;
          const applied = `applied-${suffix}`;
          const file = (name: string) => join(stack.dir, `${name}-${suffix}.yaml`);
          await writeFile(file(created), configMapYaml(created, { step: 'created' }));
          expect(await ok(['create', '-f', file(created)])).toBe(`configmap/${created} created\n`);
          expect(await configMapData(created)).toEqual({ step: 'created' });

          await writeFile(file(applied), configMapYaml(applied, { step: 'applied-1' }));
          expect(await ok(['apply', '-f', file(applied)])).toBe(`configmap/${applied} created\n`);
          await writeFile(file(applied), configMapYaml(applied, { step: 'applied-2' }));
          expect(await ok(['apply', '-f', file(applied)])).toBe(`configmap/${applied} configured\n`);
          expect(await configMapData(applied)).toEqual({ step: 'applied-2' });
          await writeFile(file(applied), configMapYaml(applied, { step: 'server-side' }));
          expect(await ok(['apply', '--server-side', '--force-conflicts', '-f', file(applied)])).toBe(
            `configmap/${applied} serverside-applied\n`,
          );
          expect(await configMapData(applied)).toEqual({ step: 'server-side' });

          const patch = (type: string, body: string) =>
            ok(['patch', 'configmap', created, '-n', 'scratch', '--type', type, '-p', body]);
          expect(await patch('strategic', '{"data":{"step":"strategic"}}')).toBe(
            `configmap/${created} patched\n`,
          );
          expect(await configMapData(created)).toEqual({ step: 'strategic' });
          await patch('merge', '{"data":{"merge":"yes"}}');
          expect(await configMapData(created)).toEqual({ step: 'strategic', merge: 'yes' });
          await patch(
            'json',
            '[{"op":"remove","path":"/data/merge"},{"op":"replace","path":"/data/step","value":"json"}]',
          );
          expect(await configMapData(created)).toEqual({ step: 'json' });

          expect(await ok(['delete', 'configmap', created, applied, '-n', 'scratch'])).toBe(
            `configmap "${created}" deleted\nconfigmap "${applied}" deleted\n`,
          );
          expect(await configMapData(created)).toBeUndefined();
          expect(await configMapData(applied)).toBeUndefined();
        });

        it('dry-run=server and dry-run=client change nothing', async () => {
          const name = `dry-${suffix}`;
          expect(
            await ok([
              'create',
              'configmap',
              name,
              '-n',
              'scratch',
              '--from-literal=a=b',
              '--dry-run=server',
            ]),
          ).toBe(`configmap/${name} created (server dry run)\n`);
          expect(
            await ok([
              'create',
              'configmap',
              name,
              '-n',
              'scratch',
              '--from-literal=a=b',
              '--dry-run=client',
            ]),
          ).toBe(`configmap/${name} created (dry run)\n`);
          expect(await configMapData(name)).toBeUndefined();
          expect(await ok(['delete', 'configmap', 'notes', '-n', 'scratch', '--dry-run=server'])).toBe(
            'configmap "notes" deleted (server dry run)\n',
          );
          expect(await configMapData('notes')).toBeDefined();
        });

        it('Status errors come through as the cluster wrote them', async () => {
          const missing = await kubectl(['get', 'configmap', 'missing', '-n', 'scratch']);
          expect(missing).toMatchObject({
            code: 1,
            stderr: 'Error from server (NotFound): configmaps "missing" not found\n',
          });
          const exists = await kubectl(['create', 'configmap', 'notes', '-n', 'scratch']);
          expect(exists.stderr).toBe(
            'error: failed to create configmap: configmaps "notes" already exists\n',
          );
          const invalid = await kubectl(['create', 'configmap', 'Not_Valid', '-n', 'scratch']);
          expect(invalid.stderr).toMatch(/ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value/);
          const unknown = await kubectl(['get', 'widgets']);
          expect(unknown.stderr).toMatch(/the server doesn't have a resource type "widgets"/);
          // SelfSubjectAccessReview: the gateway's policy answers first (a deny says why), and a
          // question it allows is answered by cluster RBAC for the impersonated agent.
          const denied = await kubectl(['auth', 'can-i', 'delete', 'pods', '-n', 'payments']);
          expect(denied.stdout.trim()).toMatch(/^no - hoop-gateway policy denies "delete" on pods/);
          // exec in payments: the gateway's policy allows it, the agents' RBAC does not.
          const rbac = await kubectl([
            'auth',
            'can-i',
            'create',
            'pods',
            '--subresource=exec',
            '-n',
            'payments',
          ]);
          expect(rbac.stdout.trim()).toBe('no');
          const canI = await kubectl(['auth', 'can-i', 'create', 'configmaps', '-n', 'scratch']);
          expect(canI.stdout.trim()).toBe('yes');
        });

        it('watch: get -w streams an event written after it started', async () => {
          const name = `watched-${suffix}`;
          const child = spawnKubectl({
            kubeconfig,
            version,
            args: ['get', 'configmaps', '-n', 'scratch', '-w'],
            timeoutMs: 30_000,
          });
          try {
            await waitForOutput(child, /^notes\s/m);
            // Listen before creating: output printed while nothing listens is lost.
            const arrived = waitForOutput(child, new RegExp(`^${name}\\s`, 'm'));
            await apiserver.kubectlAsAdmin([
              'create',
              'configmap',
              name,
              '-n',
              'scratch',
              '--from-literal=x=y',
            ]);
            await arrived;
            expect(child.exitCode).toBeNull();
          } finally {
            child.kill('SIGKILL');
            await apiserver.kubectlAsAdmin([
              'delete',
              'configmap',
              name,
              '-n',
              'scratch',
              '--ignore-not-found',
            ]);
          }
        });

        it('explain reads the OpenAPI document through the gateway', async () => {
          const out = await ok(['explain', 'deployment.spec.replicas']);
          expect(out).toMatch(/GROUP:\s+apps/);
          expect(out).toMatch(/FIELD:\s+replicas <integer>/);
        });

        it('api-resources lists the real API surface', async () => {
          const out = await ok(['api-resources', '-o', 'name']);
          for (const name of [
            'pods',
            'deployments.apps',
            'customresourcedefinitions.apiextensions.k8s.io',
            'leases.coordination.k8s.io',
          ]) {
            expect(out.split('\n')).toContain(name);
          }
        });

        it('a change the policy denies is the gateway’s Forbidden; nothing is deleted', async () => {
          const run = await kubectl(['-n', 'payments', 'delete', 'configmap', 'ledger-config']);
          expect(run.code).toBe(1);
          expect(run.stderr).toMatch(/^Error from server \(Forbidden\): hoop-gateway policy denies "delete"/);
          expect(
            (await apiserver.adminRequest('GET', '/api/v1/namespaces/payments/configmaps/ledger-config'))
              .status,
          ).toBe(200);
        });
      });
    }

    describe('masking (the shared kubectl suite)', () => {
      kubectlMaskingTests(() => ({
        kubeconfig,
        version: '1.33',
        hasKubelet: false,
        createSecret: async (namespace, name, data) => {
          await apiserver.applyAsAdmin(
            JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data }),
          );
        },
      }));
    });

    describe('masking on the wire', () => {
      it('a server-side Table with includeObject=Object has the secret masked in its rows', async () => {
        const token = await stack.issuer.issueToken('agent-1');
        const response = await gatewayRequest(stack, {
          path: '/clusters/kube/api/v1/namespaces/payments/secrets?includeObject=Object',
          token,
          headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' },
        });
        expect(response.status, response.body).toBe(200);
        const table = JSON.parse(response.body) as {
          kind: string;
          rows: Array<{ object: { metadata: { name: string }; data?: Record<string, string> } }>;
        };
        expect(table.kind).toBe('Table');
        const row = table.rows.find((r) => r.object.metadata.name === 'db-credentials');
        expect(row?.object.data?.['password']).toBe(MARKER_BASE64);
        expectNoSecret(response.body);
      });

      it('a raw watch of secrets is masked event by event', async () => {
        const token = await stack.issuer.issueToken('agent-1');
        const stream = await openStream(stack, {
          path: '/clusters/kube/api/v1/namespaces/payments/secrets?watch=true',
          token,
        });
        try {
          expect(stream.res.statusCode).toBe(200);
          expect(stream.res.headers['content-type']).toMatch(/^application\/json/);
          const line = await stream.waitForLine(/db-credentials/);
          expect(JSON.parse(line)).toMatchObject({
            type: 'ADDED',
            object: { data: { password: MARKER_BASE64 } },
          });
          expectNoSecret(stream.lines.join('\n'));
        } finally {
          stream.req.destroy();
        }
      });

      it('a ConfigMap, a Pod and a Deployment come back in their real shapes, masked where the policy says', async () => {
        const token = await stack.issuer.issueToken('agent-1');
        for (const path of [
          '/api/v1/namespaces/payments/pods/ledger-0',
          '/apis/apps/v1/namespaces/default/deployments/web',
          '/api/v1/namespaces/payments/configmaps/ledger-config',
        ]) {
          const response = await gatewayRequest(stack, { path: `/clusters/kube${path}`, token });
          expect(response.status, response.body).toBe(200);
          expectNoSecret(response.body);
          // Real objects carry server-populated fields the sandbox may not (managedFields, uid…).
          expect(JSON.parse(response.body)).toMatchObject({ metadata: { uid: expect.any(String) } });
        }
      });
    });
  },
  VERSIONS,
);
