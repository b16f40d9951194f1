/**
 * Protobuf schemas for apps/v1 Deployment as `kubectl create deployment` sends it (1.32+), with
 * the pod template parts it fills in (k8s.io/api/apps/v1 and core/v1 generated.proto). Fields
 * not listed are refused when they carry a value (schema.ts), so a richer Deployment fails loudly
 * with 415 rather than losing fields.
 */
import { OBJECT_META } from './core-schemas.ts';
import type { Schema } from './schema.ts';

const LABEL_SELECTOR: Schema = {
  1: { json: 'matchLabels', type: 'map', value: 'string' },
  2: {
    json: 'matchExpressions',
    type: 'message',
    repeated: true,
    schema: {
      1: { json: 'key', type: 'string' },
      2: { json: 'operator', type: 'string' },
      3: { json: 'values', type: 'string', repeated: true },
    },
  },
};

const CONTAINER: Schema = {
  1: { json: 'name', type: 'string' },
  2: { json: 'image', type: 'string' },
  3: { json: 'command', type: 'string', repeated: true },
  4: { json: 'args', type: 'string', repeated: true },
  5: { json: 'workingDir', type: 'string' },
  6: {
    json: 'ports',
    type: 'message',
    repeated: true,
    schema: {
      1: { json: 'name', type: 'string' },
      2: { json: 'hostPort', type: 'int' },
      3: { json: 'containerPort', type: 'int' },
      4: { json: 'protocol', type: 'string' },
      5: { json: 'hostIP', type: 'string' },
    },
  },
  7: {
    json: 'env',
    type: 'message',
    repeated: true,
    schema: { 1: { json: 'name', type: 'string' }, 2: { json: 'value', type: 'string' } },
  },
  13: { json: 'terminationMessagePath', type: 'string' },
  14: { json: 'imagePullPolicy', type: 'string' },
  16: { json: 'stdin', type: 'bool' },
  17: { json: 'stdinOnce', type: 'bool' },
  18: { json: 'tty', type: 'bool' },
  20: { json: 'terminationMessagePolicy', type: 'string' },
};

const POD_SPEC: Schema = {
  2: { json: 'containers', type: 'message', schema: CONTAINER, repeated: true },
  3: { json: 'restartPolicy', type: 'string' },
  4: { json: 'terminationGracePeriodSeconds', type: 'int', keepZero: true },
  6: { json: 'dnsPolicy', type: 'string' },
  7: { json: 'nodeSelector', type: 'map', value: 'string' },
  8: { json: 'serviceAccountName', type: 'string' },
  10: { json: 'nodeName', type: 'string' },
  20: { json: 'initContainers', type: 'message', schema: CONTAINER, repeated: true },
};

const STRATEGY: Schema = {
  1: { json: 'type', type: 'string' },
  2: {
    json: 'rollingUpdate',
    type: 'message',
    schema: {
      1: { json: 'maxUnavailable', type: 'intOrString' },
      2: { json: 'maxSurge', type: 'intOrString' },
    },
  },
};

export const DEPLOYMENT: Schema = {
  1: { json: 'metadata', type: 'message', schema: OBJECT_META },
  2: {
    json: 'spec',
    type: 'message',
    schema: {
      1: { json: 'replicas', type: 'int', keepZero: true },
      2: { json: 'selector', type: 'message', schema: LABEL_SELECTOR },
      3: {
        json: 'template',
        type: 'message',
        schema: {
          1: { json: 'metadata', type: 'message', schema: OBJECT_META },
          2: { json: 'spec', type: 'message', schema: POD_SPEC },
        },
      },
      4: { json: 'strategy', type: 'message', schema: STRATEGY },
      5: { json: 'minReadySeconds', type: 'int' },
      6: { json: 'revisionHistoryLimit', type: 'int', keepZero: true },
      7: { json: 'paused', type: 'bool' },
      9: { json: 'progressDeadlineSeconds', type: 'int', keepZero: true },
    },
  },
  3: { json: 'status', type: 'ignore' },
};
