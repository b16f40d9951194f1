import { badRequest } from '../errors.ts';
import type { RequestInfo } from '../request/request-info.types.ts';
import { messageField, messageFields, stringField, unwrapEnvelope } from './protobuf.ts';

/**
 * What a SelfSubjectAccessReview (`kubectl auth can-i`) or SelfSubjectRulesReview
 * (`kubectl auth can-i --list`) asks, read from its body as kubectl sends it: JSON, or protobuf
 * from kubectl 1.32 on. A body that is neither, or asks nothing, is a 400 saying so.
 */

/** The request an access review asks about: resource attributes or a non-resource URL. */
export type AccessQuestion =
  | {
      kind: 'resource';
      namespace: string;
      verb: string;
      group: string;
      version: string;
      resource: string;
      subresource: string;
      name: string;
    }
  | { kind: 'nonResource'; path: string; verb: string };

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function isProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === PROTOBUF;
}

function jsonSpec(body: Buffer, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw badRequest(`the ${what} body is not JSON; send a ${what} object`);
  }
  const spec = (parsed as { spec?: unknown } | null)?.spec;
  return typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>) : {};
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The question of a SelfSubjectAccessReview body. */
export function accessQuestion(body: Buffer, contentType: string | undefined): AccessQuestion {
  let resource: Record<string, string> | undefined;
  let nonResource: Record<string, string> | undefined;
  if (isProtobuf(contentType)) {
    const spec = protobufSpec(body, 'SelfSubjectAccessReview');
    const r = spec && messageField(spec, 1);
    const n = spec && messageField(spec, 2);
    if (r) {
      const names = ['', 'namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
      resource = Object.fromEntries(names.slice(1).map((name, i) => [name, stringField(r, i + 1)]));
    }
    if (n) nonResource = { path: stringField(n, 1), verb: stringField(n, 2) };
  } else {
    const spec = jsonSpec(body, 'SelfSubjectAccessReview');
    const r = spec['resourceAttributes'] as Record<string, unknown> | undefined;
    const n = spec['nonResourceAttributes'] as Record<string, unknown> | undefined;
    if (r && typeof r === 'object') {
      resource = Object.fromEntries(
        ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'].map((k) => [
          k,
          text(r[k]),
        ]),
      );
    }
    if (n && typeof n === 'object') nonResource = { path: text(n['path']), verb: text(n['verb']) };
  }
  if (resource) {
    return {
      kind: 'resource',
      namespace: resource['namespace'] ?? '',
      verb: resource['verb'] ?? '',
      group: resource['group'] ?? '',
      version: resource['version'] ?? '',
      resource: resource['resource'] ?? '',
      subresource: resource['subresource'] ?? '',
      name: resource['name'] ?? '',
    };
  }
  if (nonResource)
    return { kind: 'nonResource', path: nonResource['path'] ?? '', verb: nonResource['verb'] ?? '' };
  throw badRequest(
    'the SelfSubjectAccessReview has neither spec.resourceAttributes nor spec.nonResourceAttributes; say which request to check, e.g. kubectl auth can-i get pods',
  );
}

/** The namespace a SelfSubjectRulesReview asks about. */
export function rulesNamespace(body: Buffer, contentType: string | undefined): string {
  if (isProtobuf(contentType)) {
    const spec = protobufSpec(body, 'SelfSubjectRulesReview');
    return spec ? stringField(spec, 1) : '';
  }
  return text(jsonSpec(body, 'SelfSubjectRulesReview')['namespace']);
}

function protobufSpec(body: Buffer, what: string): Map<number, Buffer[]> | undefined {
  try {
    const object = unwrapEnvelope(body);
    if (!object) throw new Error('no k8s envelope');
    return messageField(messageFields(object), 2);
  } catch (error) {
    throw badRequest(
      `the ${what} protobuf body cannot be read (${(error as Error).message}); send it as JSON`,
    );
  }
}

/**
 * The request info the asked-about request would have, for the policy: the same fields
 * kube-apiserver's authorizer gets from an access review's attributes.
 */
export function questionInfo(question: AccessQuestion): RequestInfo {
  if (question.kind === 'nonResource') {
    return {
      isResourceRequest: false,
      path: question.path,
      verb: question.verb,
      apiPrefix: '',
      apiGroup: '',
      apiVersion: '',
      namespace: '',
      resource: '',
      subresource: '',
      name: '',
      parts: [],
    };
  }
  const prefix = question.group === '' ? '/api' : `/apis/${question.group}`;
  const segments = [
    prefix,
    question.version || '*',
    ...(question.namespace ? ['namespaces', question.namespace] : []),
    question.resource,
    ...(question.name ? [question.name] : []),
    ...(question.subresource ? [question.subresource] : []),
  ];
  return {
    isResourceRequest: true,
    path: segments.join('/').replace(/^\/+/, '/'),
    verb: question.verb,
    apiPrefix: question.group === '' ? 'api' : 'apis',
    apiGroup: question.group,
    apiVersion: question.version,
    namespace: question.namespace,
    resource: question.resource,
    subresource: question.subresource,
    name: question.name,
    parts: [question.resource, question.name, question.subresource].filter(Boolean),
  };
}
