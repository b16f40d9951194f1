/**
 * Schema-driven decoding of Kubernetes protobuf messages into the JSON the same client would have
 * sent. A schema maps field numbers to JSON names and types; the decoder is strict where it
 * matters: a field the schema does not know is only tolerated when it carries a zero value (the
 * generated Go marshallers write non-pointer fields even when empty). Anything else raises
 * UnsupportedFieldError, which the server answers with 415: a body is decoded or refused, never
 * guessed at.
 *
 * JSON conventions (those of k8s.io/apimachinery's JSON serializer): bytes are base64; empty
 * strings, false and empty messages are omitted (omitempty), except fields marked `keepZero`
 * (Go pointers such as `replicas`, where an explicit 0 means something).
 */
import { asBytes, asNumber, asString, ProtobufError, readFields, type WireField } from './wire-reader.ts';

export type Scalar = 'string' | 'bytes' | 'int' | 'bool';

export type FieldSpec =
  | { json: string; type: Scalar; repeated?: boolean; keepZero?: boolean }
  | { json: string; type: 'message'; schema: Schema; repeated?: boolean }
  | { json: string; type: 'map'; value: 'string' | 'bytes' }
  | { json: string; type: 'intOrString' }
  /** Server-set or irrelevant on create (timestamps, status): read and dropped. */
  | { json: string; type: 'ignore' };

export type Schema = Readonly<Record<number, FieldSpec>>;

export class UnsupportedFieldError extends ProtobufError {
  override name = 'UnsupportedFieldError';
}

/** True when a field carries its type's zero value (0, false, empty bytes or message). */
function isZero(field: WireField): boolean {
  if (field.wireType === 0) return field.value === 0;
  if (field.wireType === 2) return field.value.length === 0;
  return field.value.every((b) => b === 0);
}

function scalar(field: WireField, type: Scalar): string | number | boolean {
  if (type === 'string') return asString(field);
  if (type === 'bytes') return Buffer.from(asBytes(field)).toString('base64');
  if (type === 'bool') return asNumber(field) !== 0;
  return asNumber(field);
}

/** IntOrString {type 1 (0 int, 1 string), intVal 2, strVal 3}. */
function intOrString(bytes: Uint8Array): number | string {
  let kind = 0;
  let intVal = 0;
  let strVal = '';
  for (const f of readFields(bytes)) {
    if (f.number === 1) kind = asNumber(f);
    else if (f.number === 2) intVal = asNumber(f);
    else if (f.number === 3) strVal = asString(f);
  }
  return kind === 1 ? strVal : intVal;
}

function isEmptyValue(value: unknown, keepZero: boolean): boolean {
  if (keepZero) return false;
  if (value === '' || value === false || value === 0) return true;
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
  );
}

/** Decodes one message with `schema`; `path` names it in errors (`Deployment.spec.template`). */
export function decodeMessage(bytes: Uint8Array, schema: Schema, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of readFields(bytes)) {
    const spec = schema[field.number];
    if (!spec) {
      if (isZero(field)) continue;
      throw new UnsupportedFieldError(`${path}: field ${field.number} is not supported by the sandbox`);
    }
    if (spec.type === 'ignore') continue;
    let value: unknown;
    if (spec.type === 'message') value = decodeMessage(asBytes(field), spec.schema, `${path}.${spec.json}`);
    else if (spec.type === 'intOrString') value = intOrString(asBytes(field));
    else if (spec.type === 'map') {
      const entry = decodeMessage(
        asBytes(field),
        { 1: { json: 'k', type: 'string' }, 2: { json: 'v', type: spec.value } },
        path,
      );
      const map = (out[spec.json] ?? {}) as Record<string, unknown>;
      map[String(entry['k'] ?? '')] = entry['v'] ?? '';
      out[spec.json] = map;
      continue;
    } else value = scalar(field, spec.type);
    if ('repeated' in spec && spec.repeated) {
      const list = (out[spec.json] ?? []) as unknown[];
      list.push(value);
      out[spec.json] = list;
    } else if (!isEmptyValue(value, 'keepZero' in spec && spec.keepZero === true)) {
      out[spec.json] = value;
    }
  }
  return out;
}
