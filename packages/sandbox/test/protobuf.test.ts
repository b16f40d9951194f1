import { describe, expect, it } from 'vitest';
import type { StatusError } from '../../../src/errors.ts';
import { decodeObjectBody, PROTOBUF } from '../src/http/body.ts';
import { canDecodeProtobuf, decodeProtobufObject, decodeUnknown } from '../src/protobuf/decode.ts';
import { ProtobufError, readFields } from '../src/protobuf/wire-reader.ts';

/** A minimal protobuf writer, so the tests build bodies the way kubectl's client does. */
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const bytes = (field: number, payload: Uint8Array | string): number[] => {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return [...varint(field * 8 + 2), ...varint(data.length), ...data];
};
const bool = (field: number, value: boolean): number[] => [...varint(field * 8), value ? 1 : 0];
const message = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
const entry = (field: number, key: string, value: Uint8Array | string): number[] =>
  bytes(field, message(bytes(1, key), bytes(2, value)));

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = message(
    bytes(1, message(bytes(1, apiVersion), bytes(2, kind))),
    bytes(2, raw),
    bytes(3, ''),
    bytes(4, ''),
  );
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}

const objectMeta = message(
  bytes(1, 's1'),
  bytes(3, 'default'),
  entry(11, 'app', 'web'),
  entry(12, 'note', 'hi'),
  bytes(14, 'example.com/hold'),
);

describe('protobuf bodies', () => {
  it('reads varints, fixed and length-delimited fields', () => {
    const fields = [...readFields(Uint8Array.of(0x08, 0x96, 0x01, 0x15, 1, 2, 3, 4, 0x1a, 0x02, 0x68, 0x69))];
    expect(fields.map((f) => [f.number, f.wireType])).toEqual([
      [1, 0],
      [2, 5],
      [3, 2],
    ]);
    expect(fields[0]?.value).toBe(150);
    expect(() => [...readFields(Uint8Array.of(0x1a, 0x05, 0x68))]).toThrow(ProtobufError);
    expect(() => [...readFields(Uint8Array.of(0x0b))]).toThrow(ProtobufError);
  });

  it('decodes a Secret inside runtime.Unknown to the JSON kubectl would send', () => {
    const secret = message(
      bytes(1, objectMeta),
      entry(2, 'password', Uint8Array.from([0, 255, 104, 105])),
      bytes(3, 'Opaque'),
      entry(4, 'plain', 'text'),
      bool(5, true),
    );
    const body = envelope('v1', 'Secret', secret);
    const unknown = decodeUnknown(body);
    expect([unknown.apiVersion, unknown.kind]).toEqual(['v1', 'Secret']);
    expect(decodeProtobufObject(unknown)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's1',
        namespace: 'default',
        labels: { app: 'web' },
        annotations: { note: 'hi' },
        finalizers: ['example.com/hold'],
      },
      data: { password: Buffer.from([0, 255, 104, 105]).toString('base64') },
      type: 'Opaque',
      stringData: { plain: 'text' },
      immutable: true,
    });
  });

  it('decodes ConfigMap, Namespace and ServiceAccount', () => {
    const configMap = decodeObjectBody(
      envelope(
        'v1',
        'ConfigMap',
        message(bytes(1, message(bytes(1, 'c1'))), entry(2, 'k', 'v'), entry(3, 'bin', 'xyz')),
      ),
      PROTOBUF,
    );
    expect(configMap).toMatchObject({
      kind: 'ConfigMap',
      metadata: { name: 'c1' },
      data: { k: 'v' },
      binaryData: { bin: 'eHl6' },
    });
    const namespace = decodeObjectBody(
      envelope(
        'v1',
        'Namespace',
        message(bytes(1, message(bytes(1, 'n1'))), bytes(2, message(bytes(1, 'kubernetes')))),
      ),
      PROTOBUF,
    );
    expect(namespace).toMatchObject({
      kind: 'Namespace',
      metadata: { name: 'n1' },
      spec: { finalizers: ['kubernetes'] },
    });
    const account = decodeObjectBody(
      envelope(
        'v1',
        'ServiceAccount',
        message(bytes(1, message(bytes(1, 'bot'))), bytes(3, message(bytes(1, 'reg'))), bool(4, false)),
      ),
      PROTOBUF,
    );
    expect(account).toMatchObject({
      metadata: { name: 'bot' },
      imagePullSecrets: [{ name: 'reg' }],
      automountServiceAccountToken: false,
    });
  });

  it('decodes a Deployment as kubectl create deployment sends it', () => {
    const labels = entry(11, 'app', 'd2');
    const container = message(
      bytes(1, 'nginx'),
      bytes(2, 'nginx:1.27'),
      bytes(6, message(varint(3 * 8), varint(80))),
      bytes(8, message()),
      bytes(13, ''),
      [...varint(16 * 8), 0],
    );
    const spec = message(
      [...varint(1 * 8), 0],
      bytes(2, message(entry(1, 'app', 'd2'))),
      bytes(3, message(bytes(1, message(labels)), bytes(2, message(bytes(2, container))))),
      bytes(4, message()),
    );
    const body = envelope(
      'apps/v1',
      'Deployment',
      message(
        bytes(1, message(bytes(1, 'd2'), labels, bytes(8, message()))),
        bytes(2, spec),
        bytes(3, message()),
      ),
    );
    expect(decodeObjectBody(body, PROTOBUF)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd2', labels: { app: 'd2' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'd2' } },
        template: {
          metadata: { labels: { app: 'd2' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
        },
      },
    });
  });

  it('refuses kinds it cannot decode with 415 and a body without the magic with 400', () => {
    expect(canDecodeProtobuf('apps/v1', 'ReplicaSet')).toBe(false);
    const status = (fn: () => unknown): number => {
      try {
        fn();
      } catch (error) {
        return (error as StatusError).code;
      }
      return 0;
    };
    expect(status(() => decodeObjectBody(envelope('apps/v1', 'ReplicaSet', message()), PROTOBUF))).toBe(415);
    // A field the schema does not know is refused when it carries a value, skipped when zero.
    const extra = (value: number) =>
      envelope('v1', 'ConfigMap', message(bytes(1, message(bytes(1, 'c'))), [...varint(99 * 8), value]));
    expect(status(() => decodeObjectBody(extra(1), PROTOBUF))).toBe(415);
    expect(decodeObjectBody(extra(0), PROTOBUF)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
    });
    expect(status(() => decodeObjectBody(Buffer.from('{"kind":"Secret"}'), PROTOBUF))).toBe(400);
    expect(status(() => decodeObjectBody(Buffer.from('x'), 'application/cbor'))).toBe(415);
  });
});
