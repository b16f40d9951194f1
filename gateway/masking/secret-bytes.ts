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
 *
 * Per piece it allocates little: readers and edit lists are reused, one per nesting level (the
 * piece, its annotation's manifest, a manifest's own annotation…). Not re-entrant, and it need
 * not be: masking is synchronous.
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
/** Spans shorter than this are copied by a loop rather than a native call. */
const SHORT_COPY = 48;
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
 * What masking one Secret changes: spans of its bytes and what replaces each, in byte order; the
 * spans of the `data` and `stringData` values replaced; and the edits of its annotation's
 * manifest, when masking that replaced something.
 */
class SecretEdits {
  buf: Buffer = Buffer.alloc(0);
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly replacements: Buffer[] = [];
  /** [start, end) pairs of replaced `data` values, then of `stringData` values. */
  readonly data: number[] = [];
  readonly stringData: number[] = [];
  inner: SecretEdits | null = null;

  reset(buf: Buffer): void {
    this.buf = buf;
    this.starts.length = 0;
    this.ends.length = 0;
    this.replacements.length = 0;
    this.data.length = 0;
    this.stringData.length = 0;
    this.inner = null;
  }

  /** True when masking replaced any value here or in the manifest. */
  get replacedAny(): boolean {
    return this.data.length > 0 || this.stringData.length > 0 || this.inner !== null;
  }

  /** The piece with every span replaced (the piece itself when there is none). */
  apply(start = 0, end = this.buf.length): Buffer {
    const buf = this.buf;
    const count = this.starts.length;
    if (count === 0) return start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    let length = end - start;
    for (let i = 0; i < count; i++)
      length += this.replacements[i]!.length - (this.ends[i]! - this.starts[i]!);
    const out = Buffer.allocUnsafe(length);
    let to = copySpan(buf, start, this.starts[0]!, out, 0);
    for (let i = 0; i < count; i++) {
      const replacement = this.replacements[i]!;
      to = copySpan(replacement, 0, replacement.length, out, to);
      to = copySpan(buf, this.ends[i]!, i + 1 < count ? this.starts[i + 1]! : end, out, to);
    }
    return out;
  }

  /** Reports the replaced values to the tally in the parse-based masker's order. */
  commit(tally: MaskTally, reader: CanonicalJsonReader): void {
    const listening = tally.listening;
    reader.reset(this.buf);
    for (const [spans, encoding] of [
      [this.data, 'base64'],
      [this.stringData, 'text'],
    ] as const) {
      for (let i = 0; i < spans.length; i += 2) {
        const start = spans[i]!;
        const end = spans[i + 1]!;
        // Only strings reach the sinks; decoding costs, so only when someone listens.
        tally.replaced(listening && this.buf[start] === QUOTE ? reader.stringAt(start, end) : null, encoding);
      }
    }
    this.inner?.commit(tally, reader);
  }
}

function copySpan(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  if (end - start >= SHORT_COPY) return at + from.copy(to, at, start, end);
  let o = at;
  for (let i = start; i < end; i++) to[o++] = from[i]!;
  return o;
}

/** One reader and one edit list per nesting level, reused from piece to piece. */
const levels: Array<{ reader: CanonicalJsonReader; edits: SecretEdits }> = [];
function level(n: number): { reader: CanonicalJsonReader; edits: SecretEdits } {
  let entry = levels[n];
  if (entry === undefined) {
    entry = { reader: new CanonicalJsonReader(Buffer.alloc(0)), edits: new SecretEdits() };
    levels[n] = entry;
  }
  return entry;
}

/** Reads a `data`/`stringData` value; when it is an object, every member's value is replaced. */
function readValueMap(
  reader: CanonicalJsonReader,
  edits: SecretEdits,
  masked: Buffer,
  spans: number[],
): void {
  if (reader.peek() !== OPEN_OBJECT) {
    reader.skipValue();
    return;
  }
  reader.openObject();
  while (reader.nextKey()) {
    const start = reader.pos;
    reader.skipValue();
    edits.starts.push(start);
    edits.ends.push(reader.pos);
    edits.replacements.push(masked);
    spans.push(start, reader.pos);
  }
}

/** Reads `metadata`; the span of the last-applied annotation's string goes to `annotation`. */
function readMetadata(reader: CanonicalJsonReader, annotation: [number, number]): void {
  if (reader.peek() !== OPEN_OBJECT) {
    reader.skipValue();
    return;
  }
  reader.openObject();
  while (reader.nextKey()) {
    if (!reader.keyIs(KEY.annotations) || reader.peek() !== OPEN_OBJECT) {
      reader.skipValue();
      continue;
    }
    reader.openObject();
    while (reader.nextKey()) {
      if (!reader.keyIs(KEY.lastApplied)) {
        reader.skipValue();
        continue;
      }
      // An annotation that is not a string is dropped by the parse-based masker: leave it to it.
      if (reader.peek() !== QUOTE) throw NOT_CANONICAL;
      annotation[0] = reader.pos;
      reader.skipString();
      annotation[1] = reader.pos;
    }
  }
}

/**
 * The annotation's new JSON string, or undefined when masking its manifest replaced nothing
 * (then it stays as it was); the manifest's edits go to `edits.inner`.
 *
 * The string is unescaped and escaped again by V8's JSON (parse of the token, stringify of the
 * masked manifest) rather than by loops over its bytes here: 1.4–1.6× as fast on the bench's
 * annotations alone, 2 % on the whole Secret-list benchmark. Both give the same bytes: the reader
 * accepted the token as `JSON.stringify` writes strings, and the masked manifest holds no control
 * character (canonical JSON escapes them) and no lone surrogate (it is valid UTF-8), so only `"`
 * and `\` gain a backslash and non-ASCII stays as it is. Bytes that are not UTF-8 come back as
 * U+FFFD here; the callers refuse such a piece (isUtf8) before anything from it is used.
 */
function maskedAnnotation(token: Buffer, start: number, end: number, edits: SecretEdits, depth: number) {
  const manifest: string = JSON.parse(token.toString('utf8', start, end));
  // kubectl writes the manifest followed by a newline; the parse-based masker keeps it.
  const newline = manifest.endsWith('\n');
  const body = Buffer.from(newline ? manifest.slice(0, -1) : manifest);
  const { reader, edits: inner } = level(depth + 1);
  reader.reset(body);
  inner.reset(body);
  readSecret(reader, inner, false, depth + 1);
  reader.finish();
  if (!inner.replacedAny) return undefined;
  edits.inner = inner;
  const masked = inner.apply().toString();
  return Buffer.from(JSON.stringify(newline ? `${masked}\n` : masked));
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
  depth: number,
): void {
  const annotation: [number, number] = [-1, -1];
  let kind = false;
  reader.openObject();
  while (reader.nextKey()) {
    if (reader.keyIs(KEY.data)) readValueMap(reader, edits, MASKED_DATA_VALUE, edits.data);
    else if (reader.keyIs(KEY.stringData)) readValueMap(reader, edits, MASKED_STRING_VALUE, edits.stringData);
    else if (reader.keyIs(KEY.metadata)) readMetadata(reader, annotation);
    else if (reader.keyIs(KEY.kind)) {
      const start = reader.pos;
      reader.skipValue();
      if (!reader.bytesAre(start, reader.pos, SECRET_KIND)) throw NOT_CANONICAL;
      kind = true;
    } else reader.skipValue();
  }
  if (kindRequired && !kind) throw NOT_CANONICAL;
  const [start, end] = annotation;
  if (start === -1) return;
  const bytes = maskedAnnotation(reader.buf, start, end, edits, depth);
  if (bytes === undefined) return;
  // Keep the spans in byte order: the annotation may come before or after data and stringData.
  let at = edits.starts.length;
  while (at > 0 && edits.starts[at - 1]! > start) at -= 1;
  edits.starts.splice(at, 0, start);
  edits.ends.splice(at, 0, end);
  edits.replacements.splice(at, 0, bytes);
}

/** Reads one piece at level 0 with `read`; the edits, or undefined to parse instead. */
function readPiece(bytes: Buffer, read: (reader: CanonicalJsonReader, edits: SecretEdits) => void) {
  if (!isUtf8(bytes)) return undefined;
  const { reader, edits } = level(0);
  reader.reset(bytes);
  edits.reset(bytes);
  try {
    read(reader, edits);
    reader.finish();
  } catch (error) {
    // SyntaxError: a string JSON.parse refused, which the reader let through; never expected.
    if (error === NOT_CANONICAL || error instanceof SyntaxError) return undefined;
    throw error;
  }
  return { reader, edits };
}

const readListItem = (reader: CanonicalJsonReader, edits: SecretEdits) => readSecret(reader, edits, false, 0);
const readDocument = (reader: CanonicalJsonReader, edits: SecretEdits) => readSecret(reader, edits, true, 0);
const readEvent = (reader: CanonicalJsonReader, edits: SecretEdits): void => {
  let type = false;
  let object = false;
  reader.openObject();
  while (reader.nextKey()) {
    if (reader.keyIs(KEY.type) && reader.peek() === QUOTE) type = true;
    if (reader.keyIs(KEY.object)) {
      readSecret(reader, edits, true, 0);
      object = true;
    } else reader.skipValue();
  }
  if (!type || !object) throw NOT_CANONICAL;
};

function finishPiece(piece: ReturnType<typeof readPiece>, tally: MaskTally): Buffer | undefined {
  if (piece === undefined) return undefined;
  piece.edits.commit(tally, piece.reader);
  return piece.edits.apply();
}

/**
 * Masks one Secret — a list item (`kindRequired` false) or a whole document (true) — given as its
 * exact bytes. Returns the bytes to emit (the input itself when nothing was masked), or undefined
 * when the piece must go through the parse-based masker; the tally is only touched on success.
 */
export function maskSecretBytes(bytes: Buffer, kindRequired: boolean, tally: MaskTally): Buffer | undefined {
  return finishPiece(readPiece(bytes, kindRequired ? readDocument : readListItem), tally);
}

/**
 * Masks one watch event `{"type":…,"object":{…Secret…}}` given as its exact bytes, like
 * {@link maskSecretBytes}: undefined sends it to the parse-based masker.
 */
export function maskSecretEventBytes(bytes: Buffer, tally: MaskTally): Buffer | undefined {
  return finishPiece(readPiece(bytes, readEvent), tally);
}

/**
 * Masks the list item that starts at `start` in `chunk` (a `{`), when it ends within the chunk:
 * the masked bytes and the index just past the item, or undefined — the item is incomplete here,
 * or not one this path understands — and then the caller cuts and parses it as usual. This saves
 * the separate pass that finds where an item ends.
 */
export function maskSecretItemAt(
  chunk: Buffer,
  start: number,
  tally: MaskTally,
): { bytes: Buffer; end: number } | undefined {
  const { reader, edits } = level(0);
  reader.reset(chunk, start, chunk.length);
  edits.reset(chunk);
  try {
    readSecret(reader, edits, false, 0);
  } catch (error) {
    if (error === NOT_CANONICAL || error instanceof SyntaxError) return undefined;
    throw error;
  }
  const end = reader.pos;
  if (!isUtf8(chunk.subarray(start, end))) return undefined;
  edits.commit(tally, reader);
  return { bytes: edits.apply(start, end), end };
}
