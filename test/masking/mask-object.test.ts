import { describe, expect, it } from 'vitest';
import { LAST_APPLIED_ANNOTATION } from '../../gateway/masking/last-applied.ts';
import { maskDocument, maskWatchEvent } from '../../gateway/masking/mask-object.ts';
import { type JsonObject, MASK_MARKER, MASKED_BASE64, MaskTally } from '../../src/masking/mask-core.ts';
import { compileMaskingPolicy, type MaskingRules, maskingRulesFor } from '../../src/masking/policy.ts';
import { caller } from './support.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const defaults = maskingRulesFor(compileMaskingPolicy(undefined), caller());

function mask(doc: JsonObject, kindHint = 'Secret', rules: MaskingRules = defaults) {
  const seen: string[] = [];
  const tally = new MaskTally((plain) => seen.push(plain));
  maskDocument(doc, kindHint, rules, tally);
  return { doc, count: tally.count, seen };
}

const secret = (data: Record<string, string>, extra: JsonObject = {}): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's1', namespace: 'default', ...((extra['metadata'] as JsonObject) ?? {}) },
  type: 'Opaque',
  data,
});

describe('Secrets', () => {
  it('replaces every data value with base64 of the marker, keeping keys and other fields', () => {
    const { doc, count, seen } = mask(secret({ password: b64('hunter2'), user: b64('admin') }));
    expect(doc['data']).toEqual({ password: MASKED_BASE64, user: MASKED_BASE64 });
    expect(Buffer.from(MASKED_BASE64, 'base64').toString()).toBe(MASK_MARKER);
    expect(doc['type']).toBe('Opaque');
    expect(count).toBe(2);
    expect(seen).toEqual(['hunter2', 'admin']);
  });

  it('replaces stringData values with the marker itself', () => {
    const { doc } = mask({ kind: 'Secret', stringData: { token: 'abc' } });
    expect(doc['stringData']).toEqual({ token: MASK_MARKER });
  });

  it('uses the kind hint for kindless list items and objects', () => {
    const { doc } = mask({ metadata: { name: 'x' }, data: { k: b64('v') } }, 'Secret');
    expect(doc['data']).toEqual({ k: MASKED_BASE64 });
  });

  it('leaves Secrets raw under a rule with secrets: false', () => {
    const policy = compileMaskingPolicy({ rules: [{ groups: ['break-glass'], secrets: false }] });
    const rules = maskingRulesFor(policy, caller(['break-glass']));
    const { doc, count } = mask(secret({ password: b64('hunter2') }), 'Secret', rules);
    expect(doc['data']).toEqual({ password: b64('hunter2') });
    expect(count).toBe(0);
  });

  it('never touches a Status', () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'secrets "x" not found' };
    expect(mask({ ...status }).doc).toEqual(status);
  });
});

describe('last-applied-configuration', () => {
  it('is parsed and masked with the same rules, keeping its trailing newline', () => {
    const applied = `${JSON.stringify(secret({ password: b64('hunter2') }))}\n`;
    const { doc, count } = mask(
      secret(
        { password: b64('hunter2') },
        { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: applied } } },
      ),
    );
    const annotation = (doc['metadata'] as JsonObject)['annotations'] as JsonObject;
    const inner = JSON.parse(annotation[LAST_APPLIED_ANNOTATION] as string);
    expect(inner.data).toEqual({ password: MASKED_BASE64 });
    expect((annotation[LAST_APPLIED_ANNOTATION] as string).endsWith('\n')).toBe(true);
    expect(JSON.stringify(doc)).not.toContain(b64('hunter2'));
    expect(count).toBe(2);
  });

  it('is dropped when it cannot be parsed', () => {
    const annotations = { [LAST_APPLIED_ANNOTATION]: '{"data":{"password":"aHVudGVyMg=="', other: 'kept' };
    const { doc, count } = mask(secret({}, { metadata: { annotations } }));
    expect((doc['metadata'] as JsonObject)['annotations']).toEqual({ other: 'kept' });
    expect(count).toBe(1);
  });

  it('is kept byte for byte when there is nothing in it to mask', () => {
    const applied = '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},"type":"Opaque"}\n';
    const { doc } = mask(secret({}, { metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: applied } } }));
    expect(((doc['metadata'] as JsonObject)['annotations'] as JsonObject)[LAST_APPLIED_ANNOTATION]).toBe(
      applied,
    );
  });

  it('is masked in PartialObjectMetadata, using the hint for the kind', () => {
    const applied = JSON.stringify(secret({ password: b64('hunter2') }));
    const pom = {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 's1', annotations: { [LAST_APPLIED_ANNOTATION]: applied } },
    };
    const { doc } = mask(
      { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', items: [pom] },
      'Secret',
    );
    expect(JSON.stringify(doc)).not.toContain(b64('hunter2'));
  });

  it('is left alone on kinds the rules do not mask', () => {
    const applied = '{"kind":"Service","spec":{"password":"x"}}';
    const svc = { kind: 'Service', metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: applied } } };
    expect(mask(svc, 'Service').count).toBe(0);
  });
});

const env: JsonObject[] = [
  { name: 'DB_PASSWORD', value: 'hunter2' },
  { name: 'LOG_LEVEL', value: 'debug' },
  { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 's1', key: 'token' } } },
];
const podSpec = () => ({
  containers: [{ name: 'app', env: structuredClone(env) }],
  initContainers: [{ name: 'init', env: structuredClone(env) }],
  ephemeralContainers: [{ name: 'debug', env: structuredClone(env) }],
});
const template = () => ({ metadata: { labels: { app: 'x' } }, spec: podSpec() });
const workloads: Record<string, () => JsonObject> = {
  Pod: () => ({ kind: 'Pod', spec: podSpec() }),
  PodTemplate: () => ({ kind: 'PodTemplate', template: template() }),
  Deployment: () => ({ kind: 'Deployment', spec: { replicas: 1, template: template() } }),
  ReplicaSet: () => ({ kind: 'ReplicaSet', spec: { template: template() } }),
  StatefulSet: () => ({ kind: 'StatefulSet', spec: { template: template() } }),
  DaemonSet: () => ({ kind: 'DaemonSet', spec: { template: template() } }),
  Job: () => ({ kind: 'Job', spec: { template: template() } }),
  ReplicationController: () => ({ kind: 'ReplicationController', spec: { template: template() } }),
  CronJob: () => ({
    kind: 'CronJob',
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: template() } } },
  }),
};

describe('env values in pod specs and templates', () => {
  for (const [kind, make] of Object.entries(workloads)) {
    it(`masks env by name in every container list of a ${kind}`, () => {
      const { doc, count } = mask(make(), kind);
      const text = JSON.stringify(doc);
      expect(text).not.toContain('hunter2');
      expect(text).toContain('"value":"debug"');
      expect(text).toContain('secretKeyRef');
      expect(count).toBe(3);
    });
  }

  it('masks every literal value in mode always and none in mode never', () => {
    const policy = (mode: 'always' | 'never') =>
      maskingRulesFor(compileMaskingPolicy({ default: { env: { mode } } }), caller());
    const always = mask(workloads['Deployment']!(), 'Deployment', policy('always'));
    expect(JSON.stringify(always.doc)).not.toContain('"value":"debug"');
    expect(always.count).toBe(6);
    const never = mask(workloads['Deployment']!(), 'Deployment', policy('never'));
    expect(JSON.stringify(never.doc)).toContain('hunter2');
  });

  it('masks env inside the last-applied annotation of a Deployment', () => {
    const deployment = workloads['Deployment']!();
    deployment['metadata'] = {
      annotations: { [LAST_APPLIED_ANNOTATION]: JSON.stringify(workloads['Deployment']!()) },
    };
    expect(JSON.stringify(mask(deployment, 'Deployment').doc)).not.toContain('hunter2');
  });
});

describe('ConfigMaps', () => {
  const rules = maskingRulesFor(
    compileMaskingPolicy({
      default: { configMaps: [{ namespace: 'payments', name: 'db-*', keys: ['*password*', 'cert'] }] },
    }),
    caller(),
  );
  const configMap = (namespace: string, name: string): JsonObject => ({
    kind: 'ConfigMap',
    metadata: { namespace, name },
    data: { DB_PASSWORD: 'hunter2', host: 'db.local' },
    binaryData: { cert: b64('binary') },
  });

  it('masks the keys the policy names in matching ConfigMaps', () => {
    const { doc, count } = mask(configMap('payments', 'db-main'), 'ConfigMap', rules);
    expect(doc['data']).toEqual({ DB_PASSWORD: MASK_MARKER, host: 'db.local' });
    expect(doc['binaryData']).toEqual({ cert: MASKED_BASE64 });
    expect(count).toBe(2);
  });

  it('leaves other namespaces and names alone', () => {
    expect(mask(configMap('default', 'db-main'), 'ConfigMap', rules).count).toBe(0);
    expect(mask(configMap('payments', 'web'), 'ConfigMap', rules).count).toBe(0);
  });

  it('masks nothing by default', () => {
    expect(mask(configMap('payments', 'db-main'), 'ConfigMap').count).toBe(0);
  });
});

describe('response shapes', () => {
  it('masks items of a List by their own kinds', () => {
    const list = { kind: 'List', items: [secret({ a: b64('one') }), workloads['Pod']!()] };
    const { doc } = mask(list, 'Secret');
    expect(JSON.stringify(doc)).not.toMatch(/hunter2|b25l/);
  });

  it('masks Table rows with full objects and cells that repeat a masked value', () => {
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      columnDefinitions: [{ name: 'Name', type: 'string' }],
      rows: [
        { cells: ['s1', 'Opaque', 1, '5m'], object: secret({ password: b64('hunter2') }) },
        {
          cells: ['s2', 'hunter2-copy', 1, '5m'],
          object: { metadata: { name: 's2' }, data: { p: b64('hunter2') } },
        },
      ],
    };
    const { doc } = mask(table, 'Secret');
    const rows = doc['rows'] as JsonObject[];
    expect(rows[0]!['cells']).toEqual(['s1', 'Opaque', 1, '5m']);
    expect(rows[1]!['cells']).toEqual(['s2', MASK_MARKER, 1, '5m']);
    expect(JSON.stringify(doc)).not.toMatch(/hunter2|aHVudGVyMg/);
  });

  it('masks the object of a watch event, including a Table event', () => {
    const event = { type: 'MODIFIED', object: secret({ password: b64('hunter2') }) };
    const tally = new MaskTally();
    maskWatchEvent(event, 'Secret', defaults, tally);
    expect(JSON.stringify(event)).not.toContain(b64('hunter2'));
    const tableEvent = {
      type: 'ADDED',
      object: { kind: 'Table', rows: [{ cells: [], object: secret({ p: b64('x1') }) }] },
    };
    maskWatchEvent(tableEvent, 'Secret', defaults, tally);
    expect(JSON.stringify(tableEvent)).not.toContain(b64('x1'));
    expect(tally.count).toBe(2);
  });
});
