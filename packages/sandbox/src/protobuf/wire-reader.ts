/**
 * A minimal protobuf wire-format reader: enough to walk the messages kubectl sends as
 * `application/vnd.kubernetes.protobuf` bodies. It yields raw fields (number, wire type, value)
 * and leaves meaning to the per-message decoders; it never guesses at a malformed buffer, it
 * throws.
 *
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (groups, 3 and 4, are not used
 * by Kubernetes types and are refused).
 */

export type WireField =
  | { number: number; wireType: 0; value: number }
  | { number: number; wireType: 1 | 5; value: Uint8Array }
  | { number: number; wireType: 2; value: Uint8Array };

export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

/** Reads a varint at `offset`; values above 2^53 lose precision (not used by the decoded fields). */
function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let multiplier = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const byte = bytes[i] ?? 0;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    multiplier *= 128;
  }
  throw new ProtobufError('truncated or overlong varint');
}

/** Iterates the top-level fields of one encoded message. */
export function* readFields(bytes: Uint8Array): Generator<WireField> {
  let offset = 0;
  while (offset < bytes.length) {
    const tag = readVarint(bytes, offset);
    offset = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (number === 0) throw new ProtobufError('field number 0 is invalid');
    if (wireType === 0) {
      const v = readVarint(bytes, offset);
      offset = v.next;
      yield { number, wireType, value: v.value };
    } else if (wireType === 1 || wireType === 5) {
      const size = wireType === 1 ? 8 : 4;
      if (offset + size > bytes.length) throw new ProtobufError('truncated fixed-width field');
      yield { number, wireType, value: bytes.subarray(offset, offset + size) };
      offset += size;
    } else if (wireType === 2) {
      const length = readVarint(bytes, offset);
      offset = length.next;
      if (offset + length.value > bytes.length) throw new ProtobufError('truncated length-delimited field');
      yield { number, wireType, value: bytes.subarray(offset, offset + length.value) };
      offset += length.value;
    } else {
      throw new ProtobufError(`unsupported wire type ${wireType}`);
    }
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a length-delimited field as UTF-8 text. */
export function asString(field: WireField): string {
  if (field.wireType !== 2) throw new ProtobufError(`field ${field.number} is not length-delimited`);
  return utf8.decode(field.value);
}

export function asBytes(field: WireField): Uint8Array {
  if (field.wireType !== 2) throw new ProtobufError(`field ${field.number} is not length-delimited`);
  return field.value;
}

export function asNumber(field: WireField): number {
  if (field.wireType !== 0) throw new ProtobufError(`field ${field.number} is not a varint`);
  return field.value;
}
