/**
 * What kubectl writes, per version: create -f, client-side and server-side apply, the three patch
 * types, secrets and config maps from literals (protobuf bodies from 1.32 on), imperative
 * workload commands and deletes. Run by kubectl-1.XX.test.ts against its own sandbox.
 */
import { expect, it } from 'vitest';
import { describeWithKubectl } from '../../../test/support/kubectl.ts';
import { useKubectlSandbox } from './kubectl-fixture.ts';

const DEPLOYMENT = (image: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: scratch
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ${image}
        env: [{name: MODE, value: demo}]
`;

const SSA_CONFIGMAP = (data: string): string => `apiVersion: v1
kind: ConfigMap
metadata: {name: ssa, namespace: scratch}
data: {${data}}
`;

export function kubectlWriteSuite(version: string): void {
  describeWithKubectl(version, `kubectl ${version} writes to the sandbox`, () => {
    const f = useKubectlSandbox(version);

    it('creates from a file, applies client-side (create, configure) and rolls out', async () => {
      expect(
        await f.ok(
          ['create', '-f', '-'],
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: created, namespace: scratch}\ndata: {a: "1"}\n',
        ),
      ).toBe('configmap/created created\n');
      expect(await f.ok(['apply', '-f', '-'], DEPLOYMENT('busybox:1.36', 2))).toBe(
        'deployment.apps/api created\n',
      );
      expect(await f.ok(['apply', '-f', '-'], DEPLOYMENT('busybox:1.37', 3))).toBe(
        'deployment.apps/api configured\n',
      );
      expect(await f.ok(['rollout', 'status', 'deployment/api', '-n', 'scratch', '--timeout=10s'])).toContain(
        'successfully rolled out',
      );
      const images = await f.ok([
        'get',
        'pods',
        '-n',
        'scratch',
        '-l',
        'app=api',
        '-o',
        'jsonpath={.items[*].spec.containers[0].image}',
      ]);
      expect(images.split(' ')).toEqual(['busybox:1.37', 'busybox:1.37', 'busybox:1.37']);
    });

    it('applies server-side: creates, then drops a key the manager stopped applying', async () => {
      expect(await f.ok(['apply', '--server-side', '-f', '-'], SSA_CONFIGMAP('x: "1", y: "2"'))).toBe(
        'configmap/ssa serverside-applied\n',
      );
      await f.ok(['apply', '--server-side', '-f', '-'], SSA_CONFIGMAP('x: "1", z: "3"'));
      expect(await f.ok(['get', 'configmap', 'ssa', '-n', 'scratch', '-o', 'jsonpath={.data}'])).toBe(
        '{"x":"1","z":"3"}',
      );
      const apply = f.sandbox.requests.filter(
        (r) => r.headers.contentType === 'application/apply-patch+yaml',
      );
      expect(apply.length).toBeGreaterThanOrEqual(2);
    });

    it('patches with strategic, merge and JSON patches', async () => {
      await f.ok([
        'patch',
        'deployment',
        'web',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"EXTRA","value":"1"}]}]}}}}',
      ]);
      const env = await f.ok([
        'get',
        'deployment',
        'web',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].env[*].name}',
      ]);
      expect(env).toBe('DB_HOST DB_PASSWORD LOG_LEVEL EXTRA');
      await f.ok([
        'patch',
        'configmap',
        'web-config',
        '--type=merge',
        '-p',
        '{"data":{"FEATURE_FLAGS":null,"NEW":"x"}}',
      ]);
      await f.ok([
        'patch',
        'configmap',
        'web-config',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/data/LOG_LEVEL","value":"debug"}]',
      ]);
      expect(await f.ok(['get', 'cm', 'web-config', '-o', 'jsonpath={.data}'])).toBe(
        '{"LOG_LEVEL":"debug","NEW":"x"}',
      );
      const stale = await f.kubectl([
        'patch',
        'cm',
        'web-config',
        '--type=merge',
        '-p',
        '{"metadata":{"resourceVersion":"1"},"data":{"a":"b"}}',
      ]);
      expect(stale.stderr).toContain('Error from server (Conflict)');
    });

    it('creates a secret and a config map from literals (protobuf bodies from 1.32 on)', async () => {
      f.sandbox.requests.length = 0;
      expect(
        await f.ok(['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2', '-n', 'scratch']),
      ).toBe('secret/s1 created\n');
      expect(await f.ok(['create', 'configmap', 'c1', '--from-literal=k=v', '-n', 'scratch'])).toBe(
        'configmap/c1 created\n',
      );
      const password = await f.ok([
        'get',
        'secret',
        's1',
        '-n',
        'scratch',
        '-o',
        'jsonpath={.data.password}',
      ]);
      expect(Buffer.from(password, 'base64').toString()).toBe('hunter2');
      const posts = f.sandbox.requests.filter((r) => r.method === 'POST');
      const expected =
        Number(version.split('.')[1]) >= 32 ? 'application/vnd.kubernetes.protobuf' : 'application/json';
      expect(posts.map((r) => r.headers.contentType)).toEqual([expected, expected]);
    });

    it('runs imperative workload commands: create, scale, set image, rollout undo', async () => {
      expect(
        await f.ok([
          'create',
          'deployment',
          'shop',
          '--image=nginx:1.27',
          '--replicas=2',
          '--port=80',
          '-n',
          'scratch',
        ]),
      ).toBe('deployment.apps/shop created\n');
      expect(await f.ok(['create', 'service', 'clusterip', 'shop', '--tcp=80:8080', '-n', 'scratch'])).toBe(
        'service/shop created\n',
      );
      expect(await f.ok(['scale', 'deployment', 'shop', '--replicas=3', '-n', 'scratch'])).toBe(
        'deployment.apps/shop scaled\n',
      );
      await f.ok(['set', 'image', 'deployment/shop', 'nginx=nginx:1.28', '-n', 'scratch']);
      await f.ok(['rollout', 'status', 'deployment/shop', '-n', 'scratch', '--timeout=10s']);
      expect(await f.ok(['rollout', 'undo', 'deployment/shop', '-n', 'scratch'])).toBe(
        'deployment.apps/shop rolled back\n',
      );
      await f.sandbox.settle();
      const deployment = await f.ok([
        'get',
        'deployment',
        'shop',
        '-n',
        'scratch',
        '-o',
        'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.status.readyReplicas}',
      ]);
      expect(deployment).toBe('3 nginx:1.27 3');
      expect(await f.ok(['rollout', 'history', 'deployment/shop', '-n', 'scratch'])).toMatch(
        /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/,
      );
    });

    it('deletes objects and waits for them to go', async () => {
      expect(await f.ok(['delete', 'configmap', 'created', '-n', 'scratch'])).toBe(
        'configmap "created" deleted\n',
      );
      expect(await f.ok(['delete', 'deployment', 'api', '-n', 'scratch'])).toBe(
        'deployment.apps "api" deleted\n',
      );
      await f.sandbox.settle();
      expect(
        f.sandbox.store.list('pods', 'scratch').filter((p) => JSON.stringify(p).includes('"app":"api"')),
      ).toEqual([]);
    });
  });
}
