/**
 * Decoding `application/vnd.kubernetes.protobuf` request bodies: the four magic bytes `k8s\0`,
 * then a runtime.Unknown envelope (k8s.io/apimachinery/pkg/runtime/generated.proto):
 *
 *   message Unknown { TypeMeta typeMeta = 1; bytes raw = 2; string contentEncoding = 3;
 *                     string contentType = 4; }
 *   message TypeMeta { string apiVersion = 1; string kind = 2; }
 *
 * whose `raw` is the object's own generated message, decoded by the kind's schema. The kinds are
 * those kubectl 1.32+ sends from its typed clients (`create secret`, `create configmap`, `create
 * namespace`, `create serviceaccount`, `create service`, `create deployment`, and the `auth
 * whoami` / `auth can-i` reviews). Any other kind is refused with 415 by the caller.
 */
import type { KubeObject } from '../objects/meta.ts';
import { DEPLOYMENT } from './apps-schemas.ts';
import { CONFIG_MAP, NAMESPACE, SECRET, SERVICE, SERVICE_ACCOUNT } from './core-schemas.ts';
import {
  SELF_SUBJECT_ACCESS_REVIEW,
  SELF_SUBJECT_REVIEW,
  SELF_SUBJECT_RULES_REVIEW,
} from './review-schemas.ts';
import { decodeMessage, type Schema } from './schema.ts';
import { asBytes, asString, ProtobufError, readFields } from './wire-reader.ts';

export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

export interface UnknownEnvelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

/** Decodes `k8s\0` + runtime.Unknown; throws ProtobufError when the body is not one. */
export function decodeUnknown(body: Uint8Array): UnknownEnvelope {
  if (body.length < 4 || !PROTOBUF_MAGIC.every((b, i) => body[i] === b)) {
    throw new ProtobufError('body does not start with the Kubernetes protobuf magic k8s\\0');
  }
  const envelope: UnknownEnvelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(),
    contentEncoding: '',
    contentType: '',
  };
  for (const field of readFields(body.subarray(4))) {
    if (field.number === 1) {
      for (const t of readFields(asBytes(field))) {
        if (t.number === 1) envelope.apiVersion = asString(t);
        else if (t.number === 2) envelope.kind = asString(t);
      }
    } else if (field.number === 2) envelope.raw = asBytes(field);
    else if (field.number === 3) envelope.contentEncoding = asString(field);
    else if (field.number === 4) envelope.contentType = asString(field);
  }
  if (!envelope.kind) throw new ProtobufError('runtime.Unknown without a kind');
  return envelope;
}

/** Schemas keyed `apiVersion/Kind`. */
const KINDS: Record<string, Schema> = {
  'v1/Secret': SECRET,
  'v1/ConfigMap': CONFIG_MAP,
  'v1/Namespace': NAMESPACE,
  'v1/ServiceAccount': SERVICE_ACCOUNT,
  'v1/Service': SERVICE,
  'apps/v1/Deployment': DEPLOYMENT,
  'authorization.k8s.io/v1/SelfSubjectAccessReview': SELF_SUBJECT_ACCESS_REVIEW,
  'authorization.k8s.io/v1/SelfSubjectRulesReview': SELF_SUBJECT_RULES_REVIEW,
  'authentication.k8s.io/v1/SelfSubjectReview': SELF_SUBJECT_REVIEW,
};

/** True when the sandbox can decode a protobuf body of this type. */
export function canDecodeProtobuf(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in KINDS;
}

/**
 * The JSON object a runtime.Unknown envelope carries. Throws UnsupportedFieldError (→ 415) for a
 * field the schema does not cover, and Error for a kind canDecodeProtobuf rejects.
 */
export function decodeProtobufObject(envelope: UnknownEnvelope): KubeObject {
  const schema = KINDS[`${envelope.apiVersion}/${envelope.kind}`];
  if (!schema) throw new Error(`no protobuf decoder for ${envelope.apiVersion}/${envelope.kind}`);
  const body = decodeMessage(envelope.raw, schema, envelope.kind);
  return { apiVersion: envelope.apiVersion, kind: envelope.kind, metadata: {}, ...body };
}
