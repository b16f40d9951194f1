import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../src/config/load.ts';

/**
 * `manifests/components/redis-sentinel`, the production path for Redis: three pods of Redis plus
 * Sentinel, and the gateway config that finds the primary through the Sentinels. Rendered on top
 * of the base as an overlay would; its hoop.yaml must stay the base's apart from Redis.
 */
const run = promisify(execFile);
const manifests = fileURLToPath(new URL('../../manifests', import.meta.url));
const component = join(manifests, 'components', 'redis-sentinel');

interface Doc {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

async function renderWithBase(): Promise<Doc[]> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-sentinel-overlay-'));
  try {
    await writeFile(
      join(dir, 'kustomization.yaml'),
      `resources: [${relative(dir, join(manifests, 'base'))}]\ncomponents: [${relative(dir, component)}]\n`,
    );
    const { stdout } = await run('kubectl', ['kustomize', dir]);
    return parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the redis-sentinel component', () => {
  it('ships a gateway config that reaches Redis through the three Sentinels', async () => {
    // In the cluster both files are in one ConfigMap: the component's hoop.yaml, the base's policy.
    const dir = await mkdtemp(join(tmpdir(), 'hoop-sentinel-config-'));
    await copyFile(join(component, 'hoop.yaml'), join(dir, 'hoop.yaml'));
    await copyFile(join(manifests, 'base', 'policy.yaml'), join(dir, 'policy.yaml'));
    const config = await loadConfigFile(join(dir, 'hoop.yaml'), {
      REDIS_PASSWORD: 'from-the-secret',
    }).finally(() => rm(dir, { recursive: true, force: true }));
    expect(config.redis).toEqual({
      password: 'from-the-secret',
      failoverWaitMs: 20_000,
      sentinel: {
        masterName: 'hoop',
        password: 'from-the-secret',
        sentinels: [0, 1, 2].map((i) => ({ host: `hoop-redis-${i}.hoop-redis-nodes`, port: 26379 })),
      },
    });
    expect(config.recording).toMatchObject({ enabled: true, required: true });
  });

  it("keeps the base's hoop.yaml apart from Redis, so the two cannot drift", async () => {
    const withoutRedis = (text: string): unknown => {
      const doc = parse(text) as Record<string, Record<string, unknown>>;
      delete doc['redis'];
      delete doc['approvals']?.['redisUrl'];
      delete doc['recording']?.['redisUrl'];
      return doc;
    };
    const [mine, base] = await Promise.all([
      readFile(join(component, 'hoop.yaml'), 'utf8'),
      readFile(join(manifests, 'base', 'hoop.yaml'), 'utf8'),
    ]);
    expect(withoutRedis(mine)).toEqual(withoutRedis(base));
  });

  it('renders three Redis+Sentinel pods with stable names, reachable by the gateway and each other', async () => {
    const docs = await renderWithBase();
    const statefulSet = docs.find((d) => d.kind === 'StatefulSet' && d.metadata.name === 'hoop-redis');
    expect(statefulSet?.spec).toMatchObject({ replicas: 3, serviceName: 'hoop-redis-nodes' });
    const template = statefulSet?.spec?.['template'] as { spec: { containers: Array<{ name: string }> } };
    const containers = template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['redis', 'sentinel']);

    const nodes = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'hoop-redis-nodes');
    expect(nodes?.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });

    const policy = docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'hoop-redis');
    const ingress = policy?.spec?.['ingress'] as Array<{ from: unknown[]; ports: Array<{ port: number }> }>;
    expect(ingress.map((rule) => rule.ports.map((p) => p.port))).toEqual([
      [6379, 26379],
      [6379, 26379],
    ]);
    expect(JSON.stringify(ingress[1]?.from)).toContain('"app.kubernetes.io/component":"redis"');

    // The gateway config in the cluster is the component's, and the scripts are mounted by name.
    const config = docs.find(
      (d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('hoop-gateway-config'),
    );
    expect(config?.data?.['hoop.yaml']).toContain('hoop-redis-0.hoop-redis-nodes:26379');
    const scripts = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'hoop-redis-scripts');
    expect(Object.keys(scripts?.data ?? {}).sort()).toEqual(['start-redis.sh', 'start-sentinel.sh']);
  });

  it('has start scripts that parse, and pass the password through the environment only', async () => {
    for (const script of ['start-redis.sh', 'start-sentinel.sh']) {
      await run('sh', ['-n', join(component, script)]);
      const text = await readFile(join(component, script), 'utf8');
      // redis-cli reads REDISCLI_AUTH; `-a <password>` would show in the process list.
      expect(text).toContain('export REDISCLI_AUTH="$REDIS_PASSWORD"');
      expect(text).not.toMatch(/redis-cli[^\n]*\s-a\s/);
    }
  });
});
