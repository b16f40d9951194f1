/**
 * The byte-level path for the commonest masked bodies: Secrets — a list item, a single Secret, a
 * watch event's Secret. It walks the bytes once with a small validating tokenizer
 * (canonical-json.ts), finds the values of `data` and `stringData` and the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, and writes the piece back as
 * copies of the original bytes with only those values replaced, instead of parsing the whole
 * piece and serialising it again.
 *
 * It must write exactly what the parse-based masker (mask-object.ts, through the body maskers)
 * writes for the same piece, and report the same replaced values to the tally in the same order;
 * test/masking/secret-bytes.property.test.ts checks that with the parse-based masker as the oracle.
 * So it only answers for what it fully understands: JSON in `JSON.stringify`'s own form (anything
 * else re-serialises differently), valid UTF-8, a Secret (no kind, or `"kind":"Secret"`) whose
 * annotation, if any, is a Secret manifest in that form too. For everything else it returns
 * undefined before touching the tally, and the caller parses as before — including every piece the
 * parser would reject, which therefore still fails closed.
 */
import { isUtf8 } from 'node:buffer';
import { MASK_MARKER, MASKED_BASE64, type MaskTally } from '../../src/masking/mask-core.ts';
import { CanonicalJsonReader, NOT_CANONICAL } from './canonical-json.ts';
import { LAST_APPLIED_ANNOTATION } from './last-applied.ts';

const MASKED_DATA_VALUE = Buffer.from(JSON.stringify(MASKED_BASE64));
const MASKED_STRING_VALUE = Buffer.from(JSON.stringify(MASK_MARKER));
const SECRET_KIND = Buffer.from('"Secret"');
const OPEN_OBJECT = 0x7b;
const QUOTE = 0x22;
const KEY = {
  data: Buffer.from('data'),
  stringData: Buffer.from('stringData'),
  metadata: Buffer.from('metadata'),
  annotations: Buffer.from('annotations'),
  lastApplied: Buffer.from(LAST_APPLIED_ANNOTATION),
  kind: Buffer.from('kind'),
  type: Buffer.from('type'),
  object: Buffer.from('object'),
};

/**
 * What masking one piece changes: spans of its bytes and what replaces each (in byte order), and
 * the values replaced in the parse-based masker's order — data, stringData, then the annotation's
 * own — as the strings it would report (or null for a value that is not a string).
 */
class SecretEdits {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly replacements: Buffer[] = [];
  readonly replaced: Array<string | null> = [];
  readonly encodings: Array<'base64' | 'text'> = [];

  splice(start: number, end: number, bytes: Buffer): void {
    this.starts.push(start);
    this.ends.push(end);
    this.replacements.push(bytes);
  }

  /** `buf` with every span replaced (`buf` itself when there is none). */
  apply(buf: Buffer): Buffer {
    const count = this.starts.length;
    if (count === 0) return buf;
    let length = buf.length;
    for (let i = 0; i < count; i++)
      length += this.replacements[i]!.length - (this.ends[i]! - this.starts[i]!);
    const out = Buffer.allocUnsafe(length);
    let from = 0;
    let to = 0;
    for (let i = 0; i < count; i++) {
      to += buf.copy(out, to, from, this.starts[i]!);
      to += this.replacements[i]!.copy(out, to);
      from = this.ends[i]!;
    }
    buf.copy(out, to, from);
    return out;
  }

  /** Reports the replaced values to the tally, as the parse-based masker would. */
  commit(tally: MaskTally): void {
    for (let i = 0; i < this.replaced.length; i++) tally.replaced(this.replaced[i]!, this.encodings[i]!);
  }
}

/** A value replaced at [start, reader.pos): its string when someone listens, else null. */
function replacedValue(reader: CanonicalJsonReader, start: number, listening: boolean): string | null {
  return listening && reader.buf[start] === QUOTE ? reader.stringAt(start, reader.pos) : null;
}

/** Reads a `data`/`stringData` value; when it is an object, every member's value is replaced. */
function readValueMap(
  reader: CanonicalJsonReader,
  edits: SecretEdits,
  masked: Buffer,
  into: { values: Array<string | null>; encoding: 'base64' | 'text'; listening: boolean },
): void {
  if (reader.peek() !== OPEN_OBJECT) {
    reader.skipValue();
    return;
  }
  reader.openObject();
  while (reader.nextKey()) {
    const start = reader.pos;
    reader.skipValue();
    edits.splice(start, reader.pos, masked);
    into.values.push(replacedValue(reader, start, into.listening));
  }
}

/** Reads `metadata`; returns the span of the last-applied annotation's string, if there is one. */
function readMetadata(reader: CanonicalJsonReader): [number, number] | undefined {
  if (reader.peek() !== OPEN_OBJECT) {
    reader.skipValue();
    return undefined;
  }
  let annotation: [number, number] | undefined;
  reader.openObject();
  while (reader.nextKey()) {
    if (!reader.keyIs(KEY.annotations) || reader.peek() !== OPEN_OBJECT) {
      reader.skipValue();
      continue;
    }
    reader.openObject();
    while (reader.nextKey()) {
      const start = reader.pos;
      const isLastApplied = reader.keyIs(KEY.lastApplied);
      // An annotation that is not a string is dropped by the parse-based masker: leave it to it.
      if (isLastApplied && reader.peek() !== QUOTE) throw NOT_CANONICAL;
      reader.skipValue();
      if (isLastApplied) annotation = [start, reader.pos];
    }
  }
  return annotation;
}

/**
 * The annotation's new JSON string, or undefined when masking its manifest replaced nothing
 * (then it stays as it was). Values it replaced are appended to `edits`' list.
 */
function maskedAnnotation(raw: string, edits: SecretEdits, listening: boolean): Buffer | undefined {
  // kubectl writes the manifest followed by a newline; the parse-based masker keeps it.
  const newline = raw.endsWith('\n') ? '\n' : '';
  const manifest = Buffer.from(newline === '' ? raw : raw.slice(0, -1));
  const reader = new CanonicalJsonReader(manifest);
  const inner = new SecretEdits();
  readSecret(reader, inner, false, listening);
  reader.finish();
  if (inner.replaced.length === 0) return undefined;
  edits.replaced.push(...inner.replaced);
  edits.encodings.push(...inner.encodings);
  return Buffer.from(JSON.stringify(inner.apply(manifest).toString('utf8') + newline));
}

/**
 * Reads the Secret object at the reader's position into `edits`. `kindRequired`: a top-level
 * document or a watch event's object must say `"kind":"Secret"`; a list item or an applied
 * manifest may leave it out.
 */
function readSecret(
  reader: CanonicalJsonReader,
  edits: SecretEdits,
  kindRequired: boolean,
  listening: boolean,
): void {
  const buf = reader.buf;
  const data = { values: [] as Array<string | null>, encoding: 'base64' as const, listening };
  const stringData = { values: [] as Array<string | null>, encoding: 'text' as const, listening };
  let annotation: [number, number] | undefined;
  let kind = false;
  reader.openObject();
  while (reader.nextKey()) {
    const valueStart = reader.pos;
    if (reader.keyIs(KEY.data)) readValueMap(reader, edits, MASKED_DATA_VALUE, data);
    else if (reader.keyIs(KEY.stringData)) readValueMap(reader, edits, MASKED_STRING_VALUE, stringData);
    else if (reader.keyIs(KEY.metadata)) annotation = readMetadata(reader);
    else {
      const isKind = reader.keyIs(KEY.kind);
      reader.skipValue();
      if (isKind) {
        if (buf.compare(SECRET_KIND, 0, SECRET_KIND.length, valueStart, reader.pos) !== 0)
          throw NOT_CANONICAL;
        kind = true;
      }
    }
  }
  if (kindRequired && !kind) throw NOT_CANONICAL;
  for (const value of data.values) {
    edits.replaced.push(value);
    edits.encodings.push('base64');
  }
  for (const value of stringData.values) {
    edits.replaced.push(value);
    edits.encodings.push('text');
  }
  if (annotation === undefined) return;
  const [start, end] = annotation;
  const bytes = maskedAnnotation(reader.stringAt(start, end), edits, listening);
  if (bytes === undefined) return;
  // Keep the spans in byte order: the annotation may come before or after data and stringData.
  let at = edits.starts.length;
  while (at > 0 && edits.starts[at - 1]! > start) at -= 1;
  edits.starts.splice(at, 0, start);
  edits.ends.splice(at, 0, end);
  edits.replacements.splice(at, 0, bytes);
}

/** Runs `read`, turning "not canonical" (or a surprise the parser would reject) into undefined. */
function attempt(bytes: Buffer, read: (reader: CanonicalJsonReader, edits: SecretEdits) => void) {
  if (!isUtf8(bytes)) return undefined;
  const edits = new SecretEdits();
  try {
    const reader = new CanonicalJsonReader(bytes);
    read(reader, edits);
    reader.finish();
  } catch (error) {
    if (error === NOT_CANONICAL || error instanceof SyntaxError) return undefined;
    throw error;
  }
  return edits;
}

/**
 * Masks one Secret — a list item (`kindRequired` false) or a whole document (true) — given as its
 * exact bytes. Returns the bytes to emit (the input itself when nothing was masked), or undefined
 * when the piece must go through the parse-based masker; the tally is only touched on success.
 */
export function maskSecretBytes(bytes: Buffer, kindRequired: boolean, tally: MaskTally): Buffer | undefined {
  const listening = tally.listening;
  const edits = attempt(bytes, (reader, e) => readSecret(reader, e, kindRequired, listening));
  if (edits === undefined) return undefined;
  edits.commit(tally);
  return edits.apply(bytes);
}

/**
 * Masks one watch event `{"type":…,"object":{…Secret…}}` given as its exact bytes, like
 * {@link maskSecretBytes}: undefined sends it to the parse-based masker.
 */
export function maskSecretEventBytes(bytes: Buffer, tally: MaskTally): Buffer | undefined {
  const listening = tally.listening;
  const edits = attempt(bytes, (reader, e) => {
    let type = false;
    let object = false;
    reader.openObject();
    while (reader.nextKey()) {
      if (reader.keyIs(KEY.type) && reader.peek() === QUOTE) type = true;
      if (reader.keyIs(KEY.object)) {
        readSecret(reader, e, true, listening);
        object = true;
      } else reader.skipValue();
    }
    if (!type || !object) throw NOT_CANONICAL;
  });
  if (edits === undefined) return undefined;
  edits.commit(tally);
  return edits.apply(bytes);
}
