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
import { CanonicalJsonReader, NOT_CANONICAL, SHORT_ESCAPES, unicodeEscapeAt } from './canonical-json.ts';
import { LAST_APPLIED_ANNOTATION } from './last-applied.ts';

const MASKED_DATA_VALUE = Buffer.from(JSON.stringify(MASKED_BASE64));
const MASKED_STRING_VALUE = Buffer.from(JSON.stringify(MASK_MARKER));
const SECRET_KIND = Buffer.from('"Secret"');
const OPEN_OBJECT = 0x7b;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const ESCAPED_DATA_VALUE = escapeBytes(MASKED_DATA_VALUE);
const ESCAPED_STRING_VALUE = escapeBytes(MASKED_STRING_VALUE);
/** The largest unescaped manifest buffer a level keeps from piece to piece (kubectl's are ~1 KiB). */
const KEPT_MANIFEST_BYTES = 64 * 1024;
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
  /**
   * How many spans there are: [starts[i], ends[i]) is replaced by replacements[i]. The arrays are
   * reused from piece to piece and only written over (emptying an array is a call into V8 each time).
   */
  count = 0;
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly replacements: Buffer[] = [];
  /** [start, end) pairs of replaced `data` values (the first `dataCount`), then of `stringData`. */
  readonly data: number[] = [];
  dataCount = 0;
  readonly stringData: number[] = [];
  stringDataCount = 0;
  inner: SecretEdits | null = null;

  reset(buf: Buffer): void {
    this.buf = buf;
    this.count = 0;
    this.dataCount = 0;
    this.stringDataCount = 0;
    this.inner = null;
  }

  /** True when masking replaced any value here or in the manifest. */
  get replacedAny(): boolean {
    return this.dataCount > 0 || this.stringDataCount > 0 || this.inner !== null;
  }

  /** Adds a replaced span after the others. */
  add(start: number, end: number, replacement: Buffer): void {
    const i = this.count++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.replacements[i] = replacement;
  }

  /** Makes room for `n` spans at index `at`, moving those from there on up. */
  openGap(at: number, n: number): void {
    for (let i = this.count - 1; i >= at; i--) {
      this.starts[i + n] = this.starts[i]!;
      this.ends[i + n] = this.ends[i]!;
      this.replacements[i + n] = this.replacements[i]!;
    }
    this.count += n;
  }

  /** The piece with every span replaced (the piece itself when there is none). */
  apply(start = 0, end = this.buf.length): Buffer {
    const buf = this.buf;
    if (this.count === 0) return start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    const out = Buffer.allocUnsafe(this.#appliedLength(start, end));
    this.#write(start, end, out, 0);
    return out;
  }

  /** The same, written at the end of `run`. */
  applyTo(run: ByteRun, start: number, end: number): void {
    const length = this.#appliedLength(start, end);
    run.reserve(length);
    this.#write(start, end, run.buf, run.length);
    run.length += length;
  }

  #appliedLength(start: number, end: number): number {
    let length = end - start;
    for (let i = 0; i < this.count; i++)
      length += this.replacements[i]!.length - (this.ends[i]! - this.starts[i]!);
    return length;
  }

  #write(start: number, end: number, out: Buffer, at: number): void {
    const buf = this.buf;
    const count = this.count;
    if (count === 0) {
      copySpan(buf, start, end, out, at);
      return;
    }
    let to = copySpan(buf, start, this.starts[0]!, out, at);
    for (let i = 0; i < count; i++) {
      const replacement = this.replacements[i]!;
      to = copySpan(replacement, 0, replacement.length, out, to);
      to = copySpan(buf, this.ends[i]!, i + 1 < count ? this.starts[i + 1]! : end, out, to);
    }
  }

  /** Reports the replaced values to the tally in the parse-based masker's order. */
  commit(tally: MaskTally, reader: CanonicalJsonReader): void {
    reader.reset(this.buf);
    reportSpans(tally, reader, this.data, this.dataCount, 'base64');
    reportSpans(tally, reader, this.stringData, this.stringDataCount, 'text');
    this.inner?.commit(tally, reader);
  }
}

function reportSpans(
  tally: MaskTally,
  reader: CanonicalJsonReader,
  spans: number[],
  pairs: number,
  encoding: 'base64' | 'text',
): void {
  const listening = tally.listening;
  for (let i = 0; i < 2 * pairs; i += 2) {
    const start = spans[i]!;
    const end = spans[i + 1]!;
    // Only strings reach the sinks; decoding costs, so only when someone listens.
    tally.replaced(listening && reader.buf[start] === QUOTE ? reader.stringAt(start, end) : null, encoding);
  }
}

/**
 * Bytes written one after another into a buffer that grows as needed: the masked items of one
 * input chunk, passed on as one buffer instead of one per item.
 */
export class ByteRun {
  buf: Buffer = Buffer.alloc(0);
  length = 0;
  readonly #initial: number;

  /** `initial`: the capacity of the first buffer, allocated when the first byte is written. */
  constructor(initial: number) {
    this.#initial = initial;
  }

  /** Room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#initial, 2 * this.buf.length, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  push(byte: number): void {
    this.reserve(1);
    this.buf[this.length++] = byte;
  }

  /** What was written. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function copySpan(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  if (end - start >= SHORT_COPY) return at + from.copy(to, at, start, end);
  let o = at;
  for (let i = start; i < end; i++) to[o++] = from[i]!;
  return o;
}

/**
 * Per nesting level, reused from piece to piece: a reader, an edit list, and the unescaped
 * manifest of an annotation read at that level with, per manifest byte, where it came from in the
 * token (`tokenAt`, one entry more than the manifest for the end).
 */
interface Level {
  reader: CanonicalJsonReader;
  edits: SecretEdits;
  manifest: Buffer;
  tokenAt: Int32Array;
  /** The length of the manifest last read into `manifest`. */
  length: number;
  /** How much of `manifest` holds a manifest's bytes (scrubbed once the piece is done). */
  used: number;
}
const levels: Level[] = [];
function level(n: number): Level {
  let entry = levels[n];
  if (entry === undefined) {
    entry = {
      reader: new CanonicalJsonReader(Buffer.alloc(0)),
      edits: new SecretEdits(),
      manifest: Buffer.alloc(0),
      tokenAt: new Int32Array(0),
      length: 0,
      used: 0,
    };
    levels[n] = entry;
  }
  return entry;
}

/** Reads a `data` (or `stringData`) value; when it is an object, every member's value is replaced. */
function readValueMap(reader: CanonicalJsonReader, edits: SecretEdits, stringData: boolean): void {
  if (reader.peek() !== OPEN_OBJECT) {
    reader.skipValue();
    return;
  }
  const masked = stringData ? MASKED_STRING_VALUE : MASKED_DATA_VALUE;
  const spans = stringData ? edits.stringData : edits.data;
  let pairs = stringData ? edits.stringDataCount : edits.dataCount;
  reader.openObject();
  while (reader.nextKey()) {
    const start = reader.pos;
    reader.skipValue();
    edits.add(start, reader.pos, masked);
    spans[2 * pairs] = start;
    spans[2 * pairs + 1] = reader.pos;
    pairs += 1;
  }
  if (stringData) edits.stringDataCount = pairs;
  else edits.dataCount = pairs;
}

/**
 * Reads `metadata`; returns where the last-applied annotation's string starts (-1: there is none),
 * its content gone, unescaped, to the next level (readAnnotation).
 */
function readMetadata(reader: CanonicalJsonReader, depth: number): number {
  let annotation = -1;
  if (reader.peek() !== OPEN_OBJECT) {
    reader.skipValue();
    return annotation;
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
      annotation = reader.pos;
      readAnnotation(reader, level(depth + 1));
    }
  }
  return annotation;
}

/**
 * Masks the manifest of the annotation token at `start` in `edits.buf` and adds what it changed to
 * `edits`, as edits of the token itself; nothing when masking the manifest replaced nothing.
 *
 * The token's content was unescaped into the next level's buffer as it was read (readAnnotation),
 * noting where each byte came from; it is read as a Secret, and each edit is carried back into the
 * token with its replacement escaped, instead of the masked manifest being serialised and escaped
 * again. That gives what the parse-based masker writes because the token is canonical (the reader
 * accepted it as `JSON.stringify` writes strings) and so is the manifest the inner reader accepted:
 * it holds no control character but kubectl's final newline (canonical JSON escapes them), so
 * escaping it again puts a backslash before each `"` and `\` and changes nothing else, as the
 * unescaping took them out. Bytes that are not UTF-8 are copied as they are; the callers refuse
 * such a piece (isUtf8) before anything from it is used.
 */
function maskAnnotation(start: number, edits: SecretEdits, depth: number): void {
  const next = level(depth + 1);
  let length = next.length;
  // kubectl writes the manifest followed by a newline; it stays as it is in the token.
  if (length > 0 && next.manifest[length - 1] === NEWLINE) length -= 1;
  const { reader, edits: inner, manifest, tokenAt } = next;
  reader.reset(manifest, 0, length);
  inner.reset(manifest);
  readSecret(reader, inner, false, depth + 1);
  reader.finish();
  if (!inner.replacedAny) return;
  edits.inner = inner;
  // Keep the spans in byte order: the annotation may come before or after data and stringData.
  let at = edits.count;
  while (at > 0 && edits.starts[at - 1]! > start) at -= 1;
  edits.openGap(at, inner.count);
  for (let i = 0; i < inner.count; i++, at++) {
    edits.starts[at] = tokenAt[inner.starts[i]!]!;
    edits.ends[at] = tokenAt[inner.ends[i]!]!;
    edits.replacements[at] = escaped(inner.replacements[i]!);
  }
}

/**
 * Reads the string token at the reader's position, checking it as `skipString` does, and unescapes
 * its content into `into.manifest` on the way (one pass over the token instead of two), with, for
 * each byte written, its offset in the token in `into.tokenAt` (then the closing quote's).
 */
function readAnnotation(reader: CanonicalJsonReader, into: Level): void {
  const token = reader.buf;
  const end = reader.end;
  const from = reader.pos + 1;
  let out = into.manifest;
  let tokenAt = into.tokenAt;
  // Unescaping never lengthens, so below `limit` every byte written fits.
  let limit = Math.min(end, from + out.length);
  let o = 0;
  let i = from;
  for (;;) {
    if (i >= limit) {
      if (limit >= end) throw NOT_CANONICAL; // the string does not end within the piece
      ({ out, tokenAt } = growManifest(into, o));
      limit = Math.min(end, from + out.length);
      continue;
    }
    tokenAt[o] = i;
    const c = token[i]!;
    if (c === QUOTE) break;
    if (c < 0x20) throw NOT_CANONICAL;
    if (c !== BACKSLASH) {
      out[o++] = c;
      i += 1;
      continue;
    }
    if (i + 1 >= end) throw NOT_CANONICAL;
    const e = token[i + 1]!;
    const unescaped = SHORT_ESCAPES[e]!;
    if (unescaped !== 0) {
      out[o++] = unescaped;
      i += 2;
      continue;
    }
    out[o++] = unicodeEscapeAt(token, i, end);
    i += 6;
  }
  reader.pos = i + 1;
  into.length = o;
  into.used = Math.max(into.used, o);
}

/**
 * A larger manifest buffer for `into`, its first `kept` bytes (and offsets) carried over and the old
 * buffer zeroed: up to what is kept between pieces; beyond that, one of its own each time.
 */
function growManifest(into: Level, kept: number): { out: Buffer; tokenAt: Int32Array } {
  const capacity = Math.max(1024, 2 * into.manifest.length);
  const out = Buffer.allocUnsafe(capacity);
  const tokenAt = new Int32Array(capacity + 1);
  into.manifest.copy(out, 0, 0, kept);
  tokenAt.set(into.tokenAt.subarray(0, kept));
  into.manifest.fill(0, 0, Math.max(into.used, kept));
  into.manifest = out;
  into.tokenAt = tokenAt;
  into.used = kept;
  return { out, tokenAt };
}

/**
 * Zeroes the unescaped manifests once a piece is done, so the reused buffers do not keep a
 * Secret's values in memory after the response that carried them; one larger than what is kept
 * between pieces is let go as well.
 */
function scrubManifests(): void {
  for (let n = 1; n < levels.length; n++) {
    const entry = levels[n]!;
    if (entry.used === 0) continue;
    entry.manifest.fill(0, 0, entry.used);
    entry.used = 0;
    if (entry.manifest.length > KEPT_MANIFEST_BYTES) {
      entry.manifest = Buffer.alloc(0);
      entry.tokenAt = new Int32Array(0);
    }
  }
}

/** `bytes` as they read inside a JSON string (a backslash before each `"` and `\`); cached for the masks. */
function escaped(bytes: Buffer): Buffer {
  if (bytes === MASKED_DATA_VALUE) return ESCAPED_DATA_VALUE;
  if (bytes === MASKED_STRING_VALUE) return ESCAPED_STRING_VALUE;
  return escapeBytes(bytes);
}

function escapeBytes(bytes: Buffer): Buffer {
  let count = 0;
  for (const c of bytes) if (c === QUOTE || c === BACKSLASH) count += 1;
  if (count === 0) return bytes;
  const out = Buffer.allocUnsafe(bytes.length + count);
  let o = 0;
  for (const c of bytes) {
    if (c === QUOTE || c === BACKSLASH) out[o++] = BACKSLASH;
    out[o++] = c;
  }
  return out;
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
  let annotation = -1;
  let kind = false;
  reader.openObject();
  while (reader.nextKey()) {
    if (reader.keyIs(KEY.data)) readValueMap(reader, edits, false);
    else if (reader.keyIs(KEY.stringData)) readValueMap(reader, edits, true);
    else if (reader.keyIs(KEY.metadata)) annotation = readMetadata(reader, depth);
    else if (reader.keyIs(KEY.kind)) {
      const start = reader.pos;
      reader.skipValue();
      if (!reader.bytesAre(start, reader.pos, SECRET_KIND)) throw NOT_CANONICAL;
      kind = true;
    } else reader.skipValue();
  }
  if (kindRequired && !kind) throw NOT_CANONICAL;
  if (annotation !== -1) maskAnnotation(annotation, edits, depth);
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
  try {
    return finishPiece(readPiece(bytes, kindRequired ? readDocument : readListItem), tally);
  } finally {
    scrubManifests();
  }
}

/**
 * Masks one watch event `{"type":…,"object":{…Secret…}}` given as its exact bytes, like
 * {@link maskSecretBytes}: undefined sends it to the parse-based masker.
 */
export function maskSecretEventBytes(bytes: Buffer, tally: MaskTally): Buffer | undefined {
  try {
    return finishPiece(readPiece(bytes, readEvent), tally);
  } finally {
    scrubManifests();
  }
}

/**
 * Masks the list item that starts at `start` in `chunk` (a `{`), when it ends within the chunk: the
 * masked bytes go to the end of `run`, and the index just past the item is returned; or undefined —
 * the item is incomplete here, or not one this path understands — and then the caller cuts and
 * parses it as usual. This saves the separate pass that finds where an item ends.
 */
export function maskSecretItemAt(
  chunk: Buffer,
  start: number,
  tally: MaskTally,
  run: ByteRun,
): number | undefined {
  const { reader, edits } = level(0);
  reader.reset(chunk, start, chunk.length);
  edits.reset(chunk);
  try {
    try {
      readSecret(reader, edits, false, 0);
    } catch (error) {
      if (error === NOT_CANONICAL || error instanceof SyntaxError) return undefined;
      throw error;
    }
    const end = reader.pos;
    if (!isUtf8(chunk.subarray(start, end))) return undefined;
    edits.commit(tally, reader);
    edits.applyTo(run, start, end);
    return end;
  } finally {
    scrubManifests();
  }
}
