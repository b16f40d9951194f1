/**
 * Demo data for the sandbox cluster (`seed: true`): a few namespaces with workloads, config and
 * secrets whose values are recognisable on purpose. Tests grep for the exported values to prove
 * the gateway masks them (secret data, literal env values in pod templates, a cloud key in a log).
 */

import type { LogBook } from './logs/log-book.ts';
import { prepareCreate } from './objects/admit.ts';
import { resourceTypeNamed } from './resources.ts';
import type { ObjectStore } from './store/object-store.ts';

/** The recognisable values planted in the seed, for tests to search for. */
export const SEED_VALUES = {
  /** Literal `DB_PASSWORD` env value of deployment default/web (and its pods). */
  webDbPassword: 'w3b-db-pa55word',
  /** Literal `API_KEY` env value of pod payments/ledger-0. */
  ledgerApiKey: 'sk-ledger-live-7f3c9a1e5b',
  /** `password` key of secret payments/db-credentials. */
  ledgerDbPassword: 's3cr3t-ledger-pw',
  /** `token` key of secret scratch/demo-token. */
  demoToken: 'demo-token-0f1e2d3c4b5a',
  /** An AWS access key id printed in the logs of default/web pods. */
  awsAccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  /** The matching secret access key, printed on the same log line. */
  awsSecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
} as const;

export const SEED_NAMESPACES = ['default', 'kube-system', 'kube-public', 'payments', 'scratch'] as const;

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function container(
  name: string,
  image: string,
  port: number,
  env: Array<Record<string, unknown>>,
): Record<string, unknown> {
  return { name, image, ports: [{ containerPort: port, name: 'http' }], env };
}

function deployment(
  name: string,
  replicas: number,
  podSpec: Record<string, unknown>,
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  };
}

/**
 * What the seed creates, as [resource, namespace, object]. Exported so tests can create the same
 * objects in a real kube-apiserver.
 */
export function seedObjects(): Array<[string, string, Record<string, unknown>]> {
  const v = SEED_VALUES;
  return [
    ...SEED_NAMESPACES.map((name): [string, string, Record<string, unknown>] => [
      'namespaces',
      '',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    ]),
    [
      'deployments',
      'default',
      deployment('web', 2, {
        containers: [
          container('web', 'nginx:1.27', 8080, [
            { name: 'DB_HOST', value: 'postgres.payments.svc.cluster.local' },
            { name: 'DB_PASSWORD', value: v.webDbPassword },
            { name: 'LOG_LEVEL', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'LOG_LEVEL' } } },
          ]),
        ],
      }),
    ],
    [
      'services',
      'default',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    ],
    [
      'configmaps',
      'default',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'web-config' },
        data: { LOG_LEVEL: 'info', FEATURE_FLAGS: 'new-checkout,dark-mode' },
      },
    ],
    [
      'pods',
      'payments',
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'ledger-0', labels: { app: 'ledger' } },
        spec: {
          containers: [
            container('ledger', 'ghcr.io/example/ledger:2.4.1', 9090, [
              { name: 'API_KEY', value: v.ledgerApiKey },
              {
                name: 'DB_PASSWORD',
                valueFrom: { secretKeyRef: { name: 'db-credentials', key: 'password' } },
              },
            ]),
          ],
        },
      },
    ],
    [
      'services',
      'payments',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'ledger' },
        spec: { selector: { app: 'ledger' }, ports: [{ port: 9090 }] },
      },
    ],
    [
      'secrets',
      'payments',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'db-credentials' },
        type: 'Opaque',
        data: { username: b64('ledger'), password: b64(v.ledgerDbPassword) },
      },
    ],
    [
      'configmaps',
      'payments',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ledger-config' },
        data: { CURRENCY: 'EUR', SETTLEMENT_WINDOW: '24h' },
      },
    ],
    [
      'secrets',
      'scratch',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'demo-token' },
        type: 'Opaque',
        data: { token: b64(v.demoToken) },
      },
    ],
    [
      'configmaps',
      'scratch',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'notes' },
        data: { 'README.md': 'Scratch space: anything here may be deleted.' },
      },
    ],
    [
      'deployments',
      'kube-system',
      deployment('coredns', 1, {
        containers: [container('coredns', 'registry.k8s.io/coredns/coredns:v1.11.3', 53, [])],
      }),
    ],
  ];
}

/** Canned logs: the web pods leak a cloud key on start-up (masking tests look for it). */
function seedLogs(logs: LogBook): void {
  const v = SEED_VALUES;
  logs.define({
    namespace: 'default',
    podPrefix: 'web-',
    lines: [
      'nginx: starting web frontend v3.2.0',
      'config: LOG_LEVEL=info FEATURE_FLAGS=new-checkout,dark-mode',
      `aws: using credentials AWS_ACCESS_KEY_ID=${v.awsAccessKeyId} AWS_SECRET_ACCESS_KEY=${v.awsSecretAccessKey}`,
      'db: connected to postgres.payments.svc.cluster.local:5432',
      'http: listening on :8080',
      'GET /healthz 200 0.4ms',
    ],
  });
  logs.define({
    namespace: 'payments',
    podPrefix: 'ledger-',
    lines: [
      'ledger: booting settlement engine 2.4.1',
      'ledger: loaded 1,204 pending transfers',
      'ledger: settlement window 24h, currency EUR',
      'ledger: listening on :9090',
    ],
  });
}

/** Creates the demo objects (through the same defaulting and validation as API writes). */
export function seedCluster(store: ObjectStore, logs: LogBook): void {
  for (const [resource, namespace, object] of seedObjects()) {
    if (
      resource !== 'namespaces' ||
      !store.get('namespaces', '', String((object['metadata'] as { name: string }).name))
    ) {
      store.create(resource, prepareCreate(resourceTypeNamed(resource), namespace, object));
    }
  }
  seedLogs(logs);
}
