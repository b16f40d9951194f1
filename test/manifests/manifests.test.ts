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
    const deployments = docs.filter((d) => d.kind === 'Deployment');
    const services = docs.filter((d) => d.kind === 'Service');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['hoop-gateway', 'hoop-redis']);
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
    const config = await loadConfigFile(`${base}/hoop.yaml`, { REDIS_URL: 'redis://hoop-redis:6379' });
    expect(config.clusters.map((c) => c.upstream.kind)).toEqual(['inCluster']);
    expect(config.recording).toMatchObject({
      enabled: true,
      required: true,
      redisUrl: 'redis://hoop-redis:6379',
    });
    // The Redis URL comes from the Deployment's environment; without it start-up names the field.
    await expect(loadConfigFile(`${base}/hoop.yaml`, {})).rejects.toThrow(/REDIS_URL is not set/);
    expect(config.policy.rules.map((r) => r.name)).toContain('namespace-delete-needs-approval');
  });
});
