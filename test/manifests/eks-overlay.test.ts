import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../src/config/load.ts';

/** The EKS overlay renders, its configuration loads, and its IAM documents are valid policies. */

const run = promisify(execFile);
const overlay = fileURLToPath(new URL('../../manifests/overlays/eks', import.meta.url));

interface Doc {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  roleRef?: { name: string };
  subjects?: Array<{ kind: string; name: string }>;
}

describe('EKS overlay', () => {
  it('annotates the service account for IRSA, binds the access-entry group to impersonation only, and its hoop.yaml loads', async () => {
    const { stdout } = await run('kubectl', ['kustomize', overlay]);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
    const sa = docs.find((d) => d.kind === 'ServiceAccount' && d.metadata.name === 'hoop-gateway');
    expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    const binding = docs.find((d) => d.metadata.name === 'hoop-gateway-impersonator-access-entry');
    expect(binding?.roleRef?.name).toBe('hoop-gateway-impersonator');
    expect(binding?.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'hoop-gateway-impersonators' },
    ]);
    const config = docs.find(
      (d) => d.kind === 'ConfigMap' && d.metadata.name.startsWith('hoop-gateway-config'),
    );
    expect(Object.keys(config?.data ?? {}).sort()).toEqual(['hoop.yaml', 'policy.yaml']);
    const dir = await mkdtemp(join(tmpdir(), 'hoop-eks-overlay-'));
    try {
      for (const [name, text] of Object.entries(config?.data ?? {})) await writeFile(join(dir, name), text);
      const loaded = await loadConfigFile(join(dir, 'hoop.yaml'), { REDIS_URL: 'redis://redis:6379' });
      expect(loaded.aws?.gatewayId).toBe('hoop-prod');
      expect(loaded.clusters.map((c) => c.upstream.kind)).toEqual(['eks', 'eks']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ships IAM policies that parse and grant only what the gateway uses', async () => {
    const dir = join(overlay, 'iam');
    const actions = new Set<string>();
    for (const file of await readdir(dir)) {
      const policy = JSON.parse(await readFile(join(dir, file), 'utf8')) as {
        Version: string;
        Statement: Array<{ Action: string | string[] }>;
      };
      expect(policy.Version, file).toBe('2012-10-17');
      for (const s of policy.Statement) for (const a of [s.Action].flat()) actions.add(a);
    }
    expect([...actions].sort()).toEqual([
      'eks:DescribeCluster',
      'sts:AssumeRole',
      'sts:AssumeRoleWithWebIdentity',
      'sts:SetSourceIdentity',
      'sts:TagSession',
    ]);
  });
});
