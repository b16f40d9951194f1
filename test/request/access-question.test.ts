import { describe, expect, it } from 'vitest';
import { accessQuestion, rulesNamespace } from '../../src/access-review/attributes.ts';
import { StatusError } from '../../src/errors.ts';

/** Reading what `kubectl auth can-i` asks: JSON, and protobuf as kubectl 1.32+ sends it. */

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function field(number: number, value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([(number << 3) | 2, bytes.length]), bytes]);
}

function envelope(object: Buffer): Buffer {
  const typeMeta = Buffer.concat([field(1, 'authorization.k8s.io/v1'), field(2, 'SelfSubjectAccessReview')]);
  return Buffer.concat([Buffer.from('k8s\0'), field(1, typeMeta), field(2, object), field(4, PROTOBUF)]);
}

describe('accessQuestion', () => {
  it('reads resource attributes from protobuf', () => {
    const attributes = Buffer.concat([
      field(1, 'payments'),
      field(2, 'create'),
      field(4, 'v1'),
      field(5, 'pods'),
      field(6, 'portforward'),
    ]);
    const body = envelope(Buffer.concat([field(1, Buffer.alloc(0)), field(2, field(1, attributes))]));
    expect(accessQuestion(body, PROTOBUF)).toEqual({
      kind: 'resource',
      namespace: 'payments',
      verb: 'create',
      group: '',
      version: 'v1',
      resource: 'pods',
      subresource: 'portforward',
      name: '',
    });
  });

  it('reads non-resource attributes from JSON and the rules namespace from both', () => {
    const json = Buffer.from(
      JSON.stringify({ spec: { nonResourceAttributes: { path: '/metrics', verb: 'get' } } }),
    );
    expect(accessQuestion(json, 'application/json')).toEqual({
      kind: 'nonResource',
      path: '/metrics',
      verb: 'get',
    });
    expect(rulesNamespace(Buffer.from('{"spec":{"namespace":"scratch"}}'), 'application/json')).toBe(
      'scratch',
    );
    expect(rulesNamespace(envelope(field(2, field(1, 'scratch'))), PROTOBUF)).toBe('scratch');
  });

  it('answers 400 for a body it cannot read or that asks nothing', () => {
    expect(() => accessQuestion(Buffer.from('{"spec":{}}'), 'application/json')).toThrow(StatusError);
    expect(() => accessQuestion(Buffer.from('k8s\0\x12\x7f'), PROTOBUF)).toThrow(/cannot be read/);
    expect(() => accessQuestion(Buffer.from('nope'), 'application/json')).toThrow(/not JSON/);
  });
});
