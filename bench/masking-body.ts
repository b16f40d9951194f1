/**
 * The body the masking benchmark pushes through: a realistic `SecretList` as kube-apiserver writes
 * it (compact JSON, items without kind, `kubectl apply`'s last-applied annotation repeating the
 * data, managedFields), produced lazily in ~64 KiB chunks so the generator itself holds no list.
 */
import { randomBytes } from 'node:crypto';
import type { Caller } from '../src/authn/caller.ts';
import type { RequestInfo } from '../src/request/request-info.types.ts';

/** Bytes per chunk, about what a socket read delivers. */
const CHUNK_BYTES = 64 * 1024;

function secretItem(i: number): string {
  const data: Record<string, string> = {
    username: Buffer.from(`svc-user-${i}`).toString('base64'),
    password: randomBytes(24).toString('base64'),
    'tls.key': randomBytes(96).toString('base64'),
  };
  const name = `app-secret-${i.toString().padStart(6, '0')}`;
  const applied = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'bench' },
    data,
    type: 'Opaque',
  });
  return JSON.stringify({
    metadata: {
      name,
      namespace: 'bench',
      uid: `0b6c${i.toString(16).padStart(8, '0')}-1f2e-4c3d-9a8b-7c6d5e4f3a2b`,
      resourceVersion: String(100000 + i),
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { app: 'bench', tier: i % 2 === 0 ? 'web' : 'worker' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${applied}\n` },
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2025-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:data': { '.': {}, 'f:password': {}, 'f:tls.key': {}, 'f:username': {} },
            'f:type': {},
          },
        },
      ],
    },
    data,
    type: 'Opaque',
  });
}

/** How many items make a list of about `targetBytes`. */
export function itemsFor(targetBytes: number): number {
  return Math.max(1, Math.round(targetBytes / Buffer.byteLength(secretItem(0))));
}

/** Yields the list of `items` Secrets as chunks of about `CHUNK_BYTES`. */
export function* secretListChunks(items: number): Generator<Buffer> {
  let pending = '{"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"200000"},"items":[';
  for (let i = 0; i < items; i++) {
    pending += (i === 0 ? '' : ',') + secretItem(i);
    if (pending.length >= CHUNK_BYTES) {
      yield Buffer.from(pending);
      pending = '';
    }
  }
  yield Buffer.from(`${pending}]}\n`);
}

/** The request the benchmark masks: `kubectl get secrets -n bench -o json` by an ordinary agent. */
export function benchPlanInputs(): { info: RequestInfo; caller: Caller } {
  return {
    info: {
      isResourceRequest: true,
      path: '/api/v1/namespaces/bench/secrets',
      verb: 'list',
      apiPrefix: 'api',
      apiGroup: '',
      apiVersion: 'v1',
      namespace: 'bench',
      resource: 'secrets',
      subresource: '',
      name: '',
      parts: ['secrets'],
    },
    caller: { issuer: 'https://issuer.bench', subject: 'bench-agent', groups: ['agents'], claims: {} },
  };
}
