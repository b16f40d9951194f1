import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../src/config/load.ts';

const run = promisify(execFile);
const base = fileURLToPath(new URL('../../manifests/base', import.meta.url));

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    selector?: Record<string, unknown> & { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> } };
  };
  rules?: Array<{ resources: string[]; verbs: string[] }>;
}

describe('Kubernetes manifests', () => {
  it('render with kustomize, and every Service selects only its own pods', async () => {
    const { stdout } = await run('kubectl', ['kustomize', base]);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Manifest);
    const deployments = docs.filter((d) => d.kind === 'Deployment' || d.kind === 'StatefulSet');
    const services = docs.filter((d) => d.kind === 'Service');
    expect(deployments.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'Deployment/hoop-gateway',
      'StatefulSet/hoop-redis',
    ]);
    for (const service of services) {
      const selector = service.spec?.selector ?? {};
      const matching = deployments.filter((d) =>
        Object.entries(selector).every(([k, v]) => d.spec?.template?.metadata?.labels?.[k] === v),
      );
      expect(matching, `service ${service.metadata.name}`).toHaveLength(1);
    }
  });

  it('grant the gateway impersonation of users and groups only', async () => {
    const { stdout } = await run('kubectl', ['kustomize', base]);
    const role = parseAllDocuments(stdout)
      .map((d) => d.toJS() as Manifest)
      .find((d) => d.kind === 'ClusterRole');
    expect(role?.rules).toEqual([
      { apiGroups: [''], resources: ['users', 'groups'], verbs: ['impersonate'] },
    ]);
  });

  it('ship a gateway config and policy the gateway accepts', async () => {
    const env = { REDIS_URL: 'redis://hoop-redis:6379', REDIS_PASSWORD: 'from-the-secret' };
    const config = await loadConfigFile(`${base}/hoop.yaml`, env);
    expect(config.redis).toEqual({ password: 'from-the-secret' });
    expect(config.approvals.signing.privateKey).toBe('/etc/hoop-signing/gateway.key');
    expect(config.clusters.map((c) => c.upstream.kind)).toEqual(['inCluster']);
    expect(config.recording).toMatchObject({
      enabled: true,
      required: true,
      redisUrl: 'redis://hoop-redis:6379',
      dir: '/var/lib/hoop-recordings',
    });
    // The Redis URL comes from the Deployment's environment; without it start-up names the field.
    await expect(loadConfigFile(`${base}/hoop.yaml`, { REDIS_PASSWORD: 'x' })).rejects.toThrow(
      /REDIS_URL is not set/,
    );
    expect(config.policy.rules.map((r) => r.name)).toContain('namespace-delete-needs-approval');
  });

  it('let only the gateway and bot pods reach Redis, which requires a password from a Secret', async () => {
    const { stdout } = await run('kubectl', ['kustomize', base]);
    type Doc = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };
    type Pod = {
      containers: Array<{ args: string[]; env: unknown[] }>;
      volumes: Array<{ name: string; secret?: unknown }>;
    };
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
    const podOf = (name: string): Pod => {
      const deployment = docs.find(
        (d) => (d.kind === 'Deployment' || d.kind === 'StatefulSet') && d.metadata.name === name,
      );
      if (!deployment) throw new Error(`no workload ${name}`);
      return (deployment.spec['template'] as { spec: Pod }).spec;
    };
    const policy = docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'hoop-redis');
    expect(policy?.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/component': 'redis', 'app.kubernetes.io/name': 'hoop-gateway' },
      },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              podSelector: {
                matchExpressions: [
                  { key: 'app.kubernetes.io/component', operator: 'In', values: ['gateway', 'bot'] },
                ],
                matchLabels: { 'app.kubernetes.io/name': 'hoop-gateway' },
              },
            },
          ],
          ports: [{ port: 6379, protocol: 'TCP' }],
        },
      ],
    });
    const container = podOf('hoop-redis').containers[0]!;
    expect(container.args).toEqual(['--appendonly', 'yes', '--requirepass', '$(REDIS_PASSWORD)']);
    expect(container.env).toEqual([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'hoop-redis-auth', key: 'password' } } },
    ]);
    const volumes = podOf('hoop-gateway').volumes;
    expect(volumes.find((v) => v.name === 'signing')?.secret).toMatchObject({
      secretName: 'hoop-gateway-signing',
    });
  });
});
