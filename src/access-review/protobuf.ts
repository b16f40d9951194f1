/**
 * Just enough of Kubernetes' protobuf encoding to read the self-review objects kubectl sends
 * from 1.32 on (`application/vnd.kubernetes.protobuf`): the `k8s\0` envelope (runtime.Unknown,
 * whose field 2 holds the object) and length-delimited string and message fields. Every other
 * wire type is skipped by its length, so a field a newer kubectl adds is ignored, not misread.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The object inside a Kubernetes protobuf envelope, or undefined when `body` is not one. */
export function unwrapEnvelope(body: Buffer): Buffer | undefined {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) return undefined;
  return messageFields(body.subarray(4)).get(2)?.[0];
}

/** The length-delimited fields of one message, by field number, in order. Throws on malformed input. */
export function messageFields(message: Buffer): Map<number, Buffer[]> {
  const fields = new Map<number, Buffer[]>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 50; shift += 7) {
      if (at >= message.length) throw new Error('truncated varint');
      const byte = message[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error('varint too long');
  };
  while (at < message.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        varint();
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (at + length > message.length) throw new Error('truncated field');
        const value = message.subarray(at, at + length);
        at += length;
        const list = fields.get(field);
        if (list) list.push(value);
        else fields.set(field, [value]);
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  if (at > message.length) throw new Error('truncated field');
  return fields;
}

/** A string field's value ('' when absent, as proto3 reads it). */
export function stringField(fields: Map<number, Buffer[]>, field: number): string {
  return fields.get(field)?.[0]?.toString('utf8') ?? '';
}

/** A message field's fields, or undefined when absent. */
export function messageField(
  fields: Map<number, Buffer[]>,
  field: number,
): Map<number, Buffer[]> | undefined {
  const value = fields.get(field)?.[0];
  return value === undefined ? undefined : messageFields(value);
}
