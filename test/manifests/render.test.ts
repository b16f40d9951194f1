import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { loadConfigFile } from '../../src/config/load.ts';

/**
 * Every kustomization renders (the base, each overlay, each component on top of the base), and an
 * offline schema check of the objects it emits: the fields the API server would refuse without,
 * with their types, and selectors that select their own pods. Not the full OpenAPI schema, just
 * the mistakes a hand-edited manifest makes.
 */

const run = promisify(execFile);
const manifests = fileURLToPath(new URL('../../manifests', import.meta.url));

const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const labels = z.record(z.string(), z.string());
const metadata = z.looseObject({ name, namespace: name.optional(), labels: labels.optional() });
const port = z.union([z.number().int().min(1).max(65535), z.string().regex(/^[a-z0-9-]{1,15}$/)]);
const container = z.looseObject({
  name,
  image: z.string().regex(/^[^\s:]+(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/),
  args: z.array(z.string()).optional(),
  ports: z
    .array(z.looseObject({ containerPort: z.number().int(), name: z.string().max(15).optional() }))
    .optional(),
  env: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        value: z.string().optional(),
        valueFrom: z.looseObject({}).optional(),
      }),
    )
    .optional(),
  envFrom: z.array(z.looseObject({ secretRef: z.looseObject({ name, optional: z.boolean() }) })).optional(),
  volumeMounts: z
    .array(z.strictObject({ name, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() }))
    .optional(),
});
const podTemplate = z.looseObject({
  metadata: z.looseObject({ labels }),
  spec: z.looseObject({
    containers: z.array(container).min(1),
    volumes: z.array(z.looseObject({ name })).optional(),
  }),
});
const selector = z.looseObject({
  matchLabels: labels.optional(),
  matchExpressions: z.array(z.unknown()).optional(),
});
const workloadSpec = { replicas: z.number().int().min(0), selector, template: podTemplate };
const pvcSpec = z.looseObject({
  accessModes: z.array(z.enum(['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod'])).min(1),
  resources: z.strictObject({ requests: z.strictObject({ storage: z.string().regex(/^\d+(Mi|Gi|Ti)$/) }) }),
  storageClassName: z.string().optional(),
});
const rule = z.strictObject({
  apiGroups: z.array(z.string()),
  resources: z.array(z.string()).min(1),
  verbs: z.array(z.string()).min(1),
});
const subject = z.looseObject({ kind: z.enum(['User', 'Group', 'ServiceAccount']), name: z.string() });

const schemas: Record<string, z.ZodType> = {
  'v1/Namespace': z.looseObject({ metadata }),
  'v1/ServiceAccount': z.looseObject({ metadata }),
  'v1/ConfigMap': z.looseObject({ metadata, data: z.record(z.string(), z.string()) }),
  'v1/Service': z.looseObject({
    metadata,
    spec: z.looseObject({
      selector: labels,
      ports: z
        .array(
          z.looseObject({ port: z.number().int(), targetPort: port.optional(), name: z.string().optional() }),
        )
        .min(1),
    }),
  }),
  'v1/PersistentVolumeClaim': z.looseObject({ metadata, spec: pvcSpec }),
  'apps/v1/Deployment': z.looseObject({ metadata, spec: z.looseObject(workloadSpec) }),
  'apps/v1/StatefulSet': z.looseObject({
    metadata,
    spec: z.looseObject({
      ...workloadSpec,
      serviceName: name,
      volumeClaimTemplates: z
        .array(z.looseObject({ metadata: z.looseObject({ name }), spec: pvcSpec }))
        .optional(),
    }),
  }),
  'networking.k8s.io/v1/NetworkPolicy': z.looseObject({
    metadata,
    spec: z.looseObject({
      podSelector: selector,
      policyTypes: z.array(z.enum(['Ingress', 'Egress'])),
      ingress: z
        .array(z.looseObject({ from: z.array(z.unknown()), ports: z.array(z.looseObject({ port })) }))
        .optional(),
    }),
  }),
  'policy/v1/PodDisruptionBudget': z.looseObject({
    metadata,
    spec: z.looseObject({ selector, minAvailable: port.optional(), maxUnavailable: port.optional() }),
  }),
  'rbac.authorization.k8s.io/v1/ClusterRole': z.looseObject({ metadata, rules: z.array(rule).min(1) }),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': z.looseObject({
    metadata,
    roleRef: z.strictObject({
      apiGroup: z.literal('rbac.authorization.k8s.io'),
      kind: z.literal('ClusterRole'),
      name,
    }),
    subjects: z.array(subject).min(1),
  }),
  'cert-manager.io/v1/Certificate': z.looseObject({
    metadata,
    spec: z.looseObject({
      secretName: name,
      dnsNames: z.array(z.string().min(1)).min(1),
      issuerRef: z.looseObject({ name, kind: z.enum(['Issuer', 'ClusterIssuer']) }),
    }),
  }),
};

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, unknown>;
    podSelector?: { matchLabels?: Record<string, string> };
    template?: {
      metadata: { labels: Record<string, string> };
      spec: { volumes?: Array<Record<string, unknown>> };
    };
  };
}

/** The kustomizations to render: the base, every overlay, and every component on top of the base. */
async function targets(): Promise<Array<{ label: string; dir: string; cleanup?: () => Promise<void> }>> {
  const out: Array<{ label: string; dir: string; cleanup?: () => Promise<void> }> = [
    { label: 'base', dir: join(manifests, 'base') },
  ];
  for (const overlay of await readdir(join(manifests, 'overlays')))
    out.push({ label: `overlays/${overlay}`, dir: join(manifests, 'overlays', overlay) });
  for (const component of await readdir(join(manifests, 'components'))) {
    const dir = await mkdtemp(join(tmpdir(), 'hoop-component-'));
    await writeFile(
      join(dir, 'kustomization.yaml'),
      // kustomize refuses absolute paths; relative ones may leave the kustomization's directory.
      `resources: [${relative(dir, join(manifests, 'base'))}]\ncomponents: [${relative(dir, join(manifests, 'components', component))}]\n`,
    );
    out.push({
      label: `components/${component}`,
      dir,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    });
  }
  return out;
}

async function render(dir: string): Promise<Doc[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
}

const matches = (sel: Record<string, string> | undefined, podLabels: Record<string, string>): boolean =>
  Object.entries(sel ?? {}).every(([k, v]) => podLabels[k] === v);

describe('kustomize renders', () => {
  it('the base, every overlay and every component, into objects that pass the offline schemas', async () => {
    const all = await targets();
    expect(all.map((t) => t.label)).toEqual(
      expect.arrayContaining(['base', 'overlays/eks', 'components/cert-manager']),
    );
    for (const target of all) {
      try {
        const docs = await render(target.dir);
        expect(docs.length, target.label).toBeGreaterThan(0);
        for (const doc of docs) {
          const where = `${target.label}: ${doc.kind}/${doc.metadata?.name}`;
          const schema = schemas[`${doc.apiVersion}/${doc.kind}`];
          if (!schema) throw new Error(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`);
          const result = schema.safeParse(doc);
          if (!result.success) throw new Error(`${where}: ${JSON.stringify(result.error.issues)}`);
          const template = doc.spec?.template;
          if (template) {
            // A workload's selector must select its own pods (the API server refuses otherwise).
            expect(matches(doc.spec?.selector?.matchLabels, template.metadata.labels), where).toBe(true);
          }
          if (doc.kind === 'PodDisruptionBudget' || doc.kind === 'NetworkPolicy') {
            const sel = doc.spec?.selector?.matchLabels ?? doc.spec?.podSelector?.matchLabels;
            const selected = docs.filter(
              (d) => d.spec?.template && matches(sel, d.spec.template.metadata.labels),
            );
            expect(selected.length, `${where} selects a workload`).toBeGreaterThan(0);
          }
          // Every claim a pod mounts is rendered beside it.
          for (const volume of template?.spec.volumes ?? []) {
            const claim = (volume['persistentVolumeClaim'] as { claimName?: string } | undefined)?.claimName;
            if (claim)
              expect(
                docs.some((d) => d.kind === 'PersistentVolumeClaim' && d.metadata.name === claim),
                `${where} claim ${claim}`,
              ).toBe(true);
          }
        }
      } finally {
        await target.cleanup?.();
      }
    }
  });

  it('Redis as a StatefulSet with a pinned image and its own volume; recordings on a shared claim', async () => {
    const docs = await render(join(manifests, 'base'));
    const redis = docs.find(
      (d) => d.kind === 'StatefulSet' && d.metadata.name === 'hoop-redis',
    ) as unknown as {
      spec: {
        serviceName: string;
        template: { spec: { containers: Array<{ image: string; volumeMounts: unknown[] }> } };
        volumeClaimTemplates: Array<{ metadata: { name: string } }>;
      };
    };
    expect(redis.spec.serviceName).toBe('hoop-redis');
    expect(docs.some((d) => d.kind === 'Service' && d.metadata.name === 'hoop-redis')).toBe(true);
    expect(redis.spec.template.spec.containers[0]?.image).toMatch(
      /^redis:\d+\.\d+\.\d+(-alpine)?(@sha256:.+)?$/,
    );
    expect(redis.spec.volumeClaimTemplates.map((v) => v.metadata.name)).toEqual(['data']);
    expect(redis.spec.template.spec.containers[0]?.volumeMounts).toEqual([
      { name: 'data', mountPath: '/data' },
    ]);
    const claim = docs.find((d) => d.kind === 'PersistentVolumeClaim') as unknown as {
      metadata: { name: string };
      spec: { accessModes: string[] };
    };
    expect(claim.metadata.name).toBe('hoop-recordings');
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    const gateway = docs.find(
      (d) => d.kind === 'Deployment' && d.metadata.name === 'hoop-gateway',
    ) as unknown as {
      spec: {
        template: {
          spec: {
            containers: Array<{
              envFrom: unknown[];
              volumeMounts: Array<{ name: string; mountPath: string }>;
            }>;
          };
        };
      };
    };
    const container = gateway.spec.template.spec.containers[0]!;
    expect(container.volumeMounts).toContainEqual({
      name: 'recordings',
      mountPath: '/var/lib/hoop-recordings',
    });
    expect(container.envFrom).toContainEqual({ secretRef: { name: 'hoop-chat', optional: true } });
  });

  it('cert-manager only through its component: the base has no Certificate, the component one for the gateway', async () => {
    const base = await render(join(manifests, 'base'));
    expect(base.some((d) => d.kind === 'Certificate')).toBe(false);
    const component = (await targets()).find((t) => t.label === 'components/cert-manager')!;
    try {
      const docs = await render(component.dir);
      const certificate = docs.find((d) => d.kind === 'Certificate') as unknown as {
        metadata: { namespace: string };
        spec: { secretName: string; dnsNames: string[] };
      };
      expect(certificate.metadata.namespace).toBe('hoop-system');
      expect(certificate.spec.secretName).toBe('hoop-gateway-tls'); // what the Deployment mounts
      expect(certificate.spec.dnsNames).toContain('hoop-gateway.hoop-system.svc');
    } finally {
      await component.cleanup?.();
    }
  });

  it("the base hoop.yaml's commented Slack/Teams block loads once uncommented, with its secrets from hoop-chat", async () => {
    const text = await readFile(join(manifests, 'base', 'hoop.yaml'), 'utf8');
    const block = /^#chat:begin\n([\s\S]*?)^#chat:end$/m.exec(text);
    expect(block).not.toBeNull();
    const uncommented = text
      .replace(block![0], block![1]!.replace(/^# ?/gm, ''))
      .replace(/^(\s*)# (botPrivateKey: .*)$/m, '$1$2');
    const dir = await mkdtemp(join(tmpdir(), 'hoop-chat-'));
    try {
      await writeFile(join(dir, 'hoop.yaml'), uncommented);
      await writeFile(join(dir, 'policy.yaml'), await readFile(join(manifests, 'base', 'policy.yaml')));
      const env = {
        REDIS_URL: 'redis://hoop-redis:6379',
        REDIS_PASSWORD: 'x',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_APP_TOKEN: 'xapp-1',
        TEAMS_APP_PASSWORD: 'from-hoop-chat',
        HOOP_BOT_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----\n',
      };
      const config = await loadConfigFile(join(dir, 'hoop.yaml'), env);
      expect(config.slack?.botToken).toBe('xoxb-1');
      expect(config.teams?.appPassword).toBe('from-hoop-chat');
      expect(config.approvals.signing.botPrivateKey).toContain('BEGIN PRIVATE KEY');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
