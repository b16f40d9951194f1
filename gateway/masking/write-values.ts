/**
 * What a write carries in its value fields: the values themselves (so a Status message that
 * echoes one can be withheld, status-scrub.ts) and whether any of them is the mask marker (a
 * masked read written back, which the gateway refuses: pipeline/inspect-write.ts).
 *
 * Objects are walked with the response masker's own rules (mask-object.ts), with everything
 * switched on — every Secret, every env value, every ConfigMap key, the last-applied annotation
 * — so a marker is found wherever the gateway could have put one, whoever wrote it back. JSON
 * patches: the `value` of every operation whose `path` touches a value field (value-fields.ts).
 * Opaque bodies (protobuf, CBOR) store strings and bytes as they are, so the marker and its
 * base64 are searched for as bytes; values cannot be collected from them.
 */
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  MASK_MARKER,
  MASKED_BASE64,
  MaskTally,
} from '../../src/masking/mask-core.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { maskDocument } from './mask-object.ts';
import { pointerTokens, touchesValueField, valueFieldPatterns } from './value-fields.ts';

/** Every value field switched on: where the gateway masks for any caller. */
const EVERYTHING = compileMaskingPolicy({
  default: { secrets: true, env: { mode: 'always' }, configMaps: [{}] },
}).defaultRules;

export interface WriteValues {
  /** The values written (as written and, for base64 fields, decoded), non-empty, deduplicated. */
  readonly values: string[];
  /** Some value field holds the mask marker. */
  readonly marker: boolean;
}

const MARKER_BYTES = [Buffer.from(MASK_MARKER, 'utf8'), Buffer.from(MASKED_BASE64, 'utf8')];

function hasMarker(text: string): boolean {
  return text.includes(MASK_MARKER) || text.includes(MASKED_BASE64);
}

/** The values of an object body of `kind` (a partial object for merge patches and apply). */
export function objectWriteValues(doc: JsonObject, kind: string): WriteValues {
  const values = new Set<string>();
  let marker = false;
  const tally = new MaskTally((plain, asWritten) => {
    for (const value of [plain, asWritten]) {
      if (value !== '') values.add(value);
      if (hasMarker(value)) marker = true;
    }
  });
  // Masks a copy the caller parsed for this purpose; the bytes forwarded are the original ones.
  maskDocument(doc, kind, EVERYTHING, tally);
  return { values: [...values], marker };
}

/** The values a JSON patch writes into value fields of an object of `kind`. */
export function patchWriteValues(ops: readonly JsonValue[], kind: string): WriteValues {
  const patterns = valueFieldPatterns(kind, EVERYTHING, '', '');
  const values = new Set<string>();
  for (const op of ops) {
    if (!isJsonObject(op) || !Object.hasOwn(op, 'value')) continue;
    const path = typeof op['path'] === 'string' ? op['path'] : '';
    if (!touchesValueField(pointerTokens(path), patterns)) continue;
    collectStrings(op['value'] ?? null, values);
  }
  const all = [...values];
  for (const value of all) {
    const decoded = decodeBase64(value);
    if (decoded !== undefined) values.add(decoded);
  }
  return { values: [...values], marker: [...values].some(hasMarker) };
}

/** Whether an opaque (protobuf, CBOR…) body contains the marker or its base64, as bytes. */
export function opaqueHasMarker(body: Buffer): boolean {
  return MARKER_BYTES.some((marker) => body.includes(marker));
}

function collectStrings(value: JsonValue, into: Set<string>): void {
  if (typeof value === 'string') {
    if (value !== '') into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, into);
  } else if (isJsonObject(value)) {
    for (const item of Object.values(value)) collectStrings(item, into);
  }
}

function decodeBase64(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded === '' || decoded.includes('\uFFFD') ? undefined : decoded;
}
