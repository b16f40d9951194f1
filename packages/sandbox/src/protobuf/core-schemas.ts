/**
 * Protobuf schemas of the core/v1 objects kubectl's typed clients send (k8s.io/api/core/v1/
 * generated.proto; ObjectMeta from k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto). Only
 * fields a create from kubectl carries are listed; see schema.ts for how the rest is treated.
 */
import type { Schema } from './schema.ts';

const OWNER_REFERENCE: Schema = {
  1: { json: 'kind', type: 'string' },
  3: { json: 'name', type: 'string' },
  4: { json: 'uid', type: 'string' },
  5: { json: 'apiVersion', type: 'string' },
  6: { json: 'controller', type: 'bool', keepZero: true },
  7: { json: 'blockOwnerDeletion', type: 'bool', keepZero: true },
};

export const OBJECT_META: Schema = {
  1: { json: 'name', type: 'string' },
  2: { json: 'generateName', type: 'string' },
  3: { json: 'namespace', type: 'string' },
  4: { json: 'selfLink', type: 'ignore' },
  5: { json: 'uid', type: 'ignore' },
  6: { json: 'resourceVersion', type: 'ignore' },
  7: { json: 'generation', type: 'ignore' },
  8: { json: 'creationTimestamp', type: 'ignore' },
  9: { json: 'deletionTimestamp', type: 'ignore' },
  10: { json: 'deletionGracePeriodSeconds', type: 'ignore' },
  11: { json: 'labels', type: 'map', value: 'string' },
  12: { json: 'annotations', type: 'map', value: 'string' },
  13: { json: 'ownerReferences', type: 'message', schema: OWNER_REFERENCE, repeated: true },
  14: { json: 'finalizers', type: 'string', repeated: true },
  17: { json: 'managedFields', type: 'ignore' },
};

const metadata = { json: 'metadata', type: 'message', schema: OBJECT_META } as const;
const status = { json: 'status', type: 'ignore' } as const;

export const SECRET: Schema = {
  1: metadata,
  2: { json: 'data', type: 'map', value: 'bytes' },
  3: { json: 'type', type: 'string' },
  4: { json: 'stringData', type: 'map', value: 'string' },
  5: { json: 'immutable', type: 'bool', keepZero: true },
};

export const CONFIG_MAP: Schema = {
  1: metadata,
  2: { json: 'data', type: 'map', value: 'string' },
  3: { json: 'binaryData', type: 'map', value: 'bytes' },
  4: { json: 'immutable', type: 'bool', keepZero: true },
};

export const NAMESPACE: Schema = {
  1: metadata,
  2: { json: 'spec', type: 'message', schema: { 1: { json: 'finalizers', type: 'string', repeated: true } } },
  3: status,
};

export const SERVICE_ACCOUNT: Schema = {
  1: metadata,
  3: {
    json: 'imagePullSecrets',
    type: 'message',
    schema: { 1: { json: 'name', type: 'string' } },
    repeated: true,
  },
  4: { json: 'automountServiceAccountToken', type: 'bool', keepZero: true },
};

const SERVICE_PORT: Schema = {
  1: { json: 'name', type: 'string' },
  2: { json: 'protocol', type: 'string' },
  3: { json: 'port', type: 'int' },
  4: { json: 'targetPort', type: 'intOrString' },
  5: { json: 'nodePort', type: 'int' },
};

export const SERVICE: Schema = {
  1: metadata,
  2: {
    json: 'spec',
    type: 'message',
    schema: {
      1: { json: 'ports', type: 'message', schema: SERVICE_PORT, repeated: true },
      2: { json: 'selector', type: 'map', value: 'string' },
      3: { json: 'clusterIP', type: 'string' },
      4: { json: 'type', type: 'string' },
      7: { json: 'sessionAffinity', type: 'string' },
      10: { json: 'externalName', type: 'string' },
    },
  },
  3: status,
};
