/**
 * Protobuf schemas of the self-review objects kubectl's `auth` commands send from 1.32 on
 * (k8s.io/api/authorization/v1 and authentication/v1 generated.proto).
 */
import { OBJECT_META } from './core-schemas.ts';
import type { Schema } from './schema.ts';

const metadata = { json: 'metadata', type: 'message', schema: OBJECT_META } as const;

const RESOURCE_ATTRIBUTES: Schema = {
  1: { json: 'namespace', type: 'string' },
  2: { json: 'verb', type: 'string' },
  3: { json: 'group', type: 'string' },
  4: { json: 'version', type: 'string' },
  5: { json: 'resource', type: 'string' },
  6: { json: 'subresource', type: 'string' },
  7: { json: 'name', type: 'string' },
};

export const SELF_SUBJECT_ACCESS_REVIEW: Schema = {
  1: metadata,
  2: {
    json: 'spec',
    type: 'message',
    schema: {
      1: { json: 'resourceAttributes', type: 'message', schema: RESOURCE_ATTRIBUTES },
      2: {
        json: 'nonResourceAttributes',
        type: 'message',
        schema: { 1: { json: 'path', type: 'string' }, 2: { json: 'verb', type: 'string' } },
      },
    },
  },
  3: { json: 'status', type: 'ignore' },
};

export const SELF_SUBJECT_RULES_REVIEW: Schema = {
  1: metadata,
  2: { json: 'spec', type: 'message', schema: { 1: { json: 'namespace', type: 'string' } } },
  3: { json: 'status', type: 'ignore' },
};

export const SELF_SUBJECT_REVIEW: Schema = {
  1: metadata,
  2: { json: 'status', type: 'ignore' },
};
