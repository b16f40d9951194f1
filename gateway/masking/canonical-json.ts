/**
 * A reader for JSON that is byte for byte what `JSON.stringify(JSON.parse(text))` would write:
 * no whitespace, strings escaped exactly as `JSON.stringify` escapes them, numbers in their
 * shortest form, no duplicate keys, no array-index keys (V8 moves those first). For such text,
 * replacing a value's bytes with the serialisation of a new value gives exactly what parsing,
 * assigning and re-serialising would — which is what lets the byte-level masker (secret-bytes.ts)
 * copy untouched spans as they are and still write what the parse-based masker writes.
 *
 * Anything else — valid JSON in another form, or invalid JSON — throws `NOT_CANONICAL`; the
 * caller then falls back to parsing, which handles (or rejects) it as before. The reader checks
 * the grammar as it goes, so it never vouches for bytes `JSON.parse` would refuse. The caller
 * checks UTF-8 validity once for the whole piece (`isUtf8`): with that, and no `\u` escapes but
 * the control characters', equal strings are equal bytes, so keys are compared by a hash of their
 * bytes — a collision (or a real duplicate) only sends the piece to the parser.
 */

/** Thrown (one shared instance) when the text is not in canonical form. */
export const NOT_CANONICAL: Error = Object.freeze(new Error('not canonical JSON'));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_U = 0x75;

/** Containers nested deeper than this are left to the parser (no recursion limit to hit). */
const MAX_DEPTH = 64;
/** Beyond this many keys an object's duplicate check uses a Set instead of a linear scan. */
const LINEAR_KEYS = 32;
/** The largest array index: keys that are indices below it are ordered first by V8. */
const MAX_ARRAY_INDEX = 4294967295;
const FNV_OFFSET = 2166136261 | 0;
const FNV_PRIME = 16777619;

/**
 * For each byte after a backslash, the byte that two-character escape stands for, where
 * `JSON.stringify` writes one (0 otherwise: `\u` and anything else).
 */
export const SHORT_ESCAPES = new Uint8Array(256);
for (const [letter, byte] of [
  ['"', 0x22],
  ['\\', 0x5c],
  ['b', 0x08],
  ['f', 0x0c],
  ['n', 0x0a],
  ['r', 0x0d],
  ['t', 0x09],
] as const)
  SHORT_ESCAPES[letter.charCodeAt(0)] = byte;
/** Control characters `JSON.stringify` writes as \b \f \n \r \t rather than \u00xx. */
const SHORT_CONTROL = new Uint8Array(32);
for (const byte of SHORT_ESCAPES) if (byte !== 0 && byte < 0x20) SHORT_CONTROL[byte] = 1;
const LITERALS: ReadonlyMap<number, Buffer> = new Map([
  [0x74, Buffer.from('true')],
  [0x66, Buffer.from('false')],
  [0x6e, Buffer.from('null')],
]);
const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:e[+-]\d+)?$/;

/** A lowercase hex digit's value (as `JSON.stringify` writes them); NOT_CANONICAL otherwise. */
function hexDigit(byte: number): number {
  if (byte >= DIGIT_0 && byte <= DIGIT_9) return byte - DIGIT_0;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10; // lowercase only, as JSON.stringify
  throw NOT_CANONICAL;
}

/**
 * The control character the `\u` escape whose backslash is at `i` stands for, checked as
 * `JSON.stringify` writes them: `\u00xx`, lowercase, only for the control characters without a
 * short escape; NOT_CANONICAL otherwise (also when the escape does not end before `end`).
 */
export function unicodeEscapeAt(buf: Buffer, i: number, end: number): number {
  if (buf[i + 1] !== LOWER_U || i + 5 >= end || buf[i + 2] !== DIGIT_0 || buf[i + 3] !== DIGIT_0)
    throw NOT_CANONICAL;
  const code = hexDigit(buf[i + 4]!) * 16 + hexDigit(buf[i + 5]!);
  if (code >= 0x20 || SHORT_CONTROL[code] === 1) throw NOT_CANONICAL;
  return code;
}

export class CanonicalJsonReader {
  buf: Buffer;
  /** The next byte to read. */
  pos: number;
  end: number;
  /** Where the last key's bytes (inside its quotes) start and end. */
  keyStart = 0;
  keyEnd = 0;
  #depth = 0;
  /** Per open container, innermost at `#depth - 1`: 1 while no member has been read. */
  readonly #first = new Uint8Array(MAX_DEPTH);
  /** Per open object: how many keys were read, and the hashes of the first `LINEAR_KEYS`. */
  readonly #keyCount = new Int32Array(MAX_DEPTH);
  readonly #keyHashes = new Int32Array(MAX_DEPTH * LINEAR_KEYS);
  /** Per open object with more keys than that: all its hashes (reused, cleared on open). */
  readonly #keySets: Array<Set<number> | undefined> = [];

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Starts over on another piece: readers are reused, one per nesting level of the caller. */
  reset(buf: Buffer, start = 0, end = buf.length): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.#depth = 0;
  }

  /** The byte at `pos`, or -1 at the end. */
  peek(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  /** Throws unless every byte was read. */
  finish(): void {
    if (this.pos !== this.end || this.#depth !== 0) throw NOT_CANONICAL;
  }

  /** Reads `{`; then call `nextKey` until it returns false. */
  openObject(): void {
    if (this.peek() !== OPEN_OBJECT) throw NOT_CANONICAL;
    this.pos += 1;
    this.#open();
  }

  /**
   * Reads the next member's key and its colon, leaving `pos` at its value (which the caller must
   * read; `keyIs` tells which key it was); returns false after the closing `}` instead.
   */
  nextKey(): boolean {
    const depth = this.#depth - 1;
    if (depth < 0) throw NOT_CANONICAL;
    let c = this.peek();
    if (c === CLOSE_OBJECT) {
      this.pos += 1;
      this.#depth = depth;
      return false;
    }
    if (this.#first[depth] === 0) {
      if (c !== COMMA) throw NOT_CANONICAL;
      this.pos += 1;
      c = this.peek();
    }
    this.#first[depth] = 0;
    this.#addKey(depth, this.#readKey());
    if (this.peek() !== COLON) throw NOT_CANONICAL;
    this.pos += 1;
    return true;
  }

  /** True when the last key read is exactly `name`. */
  keyIs(name: Buffer): boolean {
    return this.bytesAre(this.keyStart, this.keyEnd, name);
  }

  /** True when the bytes [start, end) are exactly `expected` (a loop: cheaper than a native call). */
  bytesAre(start: number, end: number, expected: Buffer): boolean {
    if (end - start !== expected.length) return false;
    const buf = this.buf;
    for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
    return true;
  }

  /** Reads one value of any type. */
  skipValue(): void {
    const c = this.peek();
    if (c === QUOTE) this.skipString();
    else if (c === OPEN_OBJECT) {
      this.openObject();
      while (this.nextKey()) this.skipValue();
    } else if (c === OPEN_ARRAY) this.#skipArray();
    else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) this.#skipNumber();
    else this.#skipLiteral(c);
  }

  /** Reads one string, checking it is escaped exactly as `JSON.stringify` escapes. */
  skipString(): void {
    const buf = this.buf;
    const end = this.end;
    let i = this.pos;
    if (i >= end || buf[i] !== QUOTE) throw NOT_CANONICAL;
    for (i += 1; i < end; i++) {
      const c = buf[i]!;
      if (c === QUOTE) {
        this.pos = i + 1;
        return;
      }
      if (c < 0x20) throw NOT_CANONICAL;
      if (c !== BACKSLASH) continue;
      if (i + 1 >= end) break;
      const e = buf[i + 1]!;
      if (SHORT_ESCAPES[e] !== 0) {
        i += 1;
        continue;
      }
      unicodeEscapeAt(buf, i, end);
      i += 5;
    }
    throw NOT_CANONICAL;
  }

  /** The value of the string token [start, end) the reader has already checked. */
  stringAt(start: number, end: number): string {
    const backslash = this.buf.indexOf(BACKSLASH, start);
    if (backslash === -1 || backslash >= end) return this.buf.toString('utf8', start + 1, end - 1);
    return JSON.parse(this.buf.toString('utf8', start, end)) as string;
  }

  #open(): void {
    const depth = this.#depth;
    if (depth >= MAX_DEPTH) throw NOT_CANONICAL;
    this.#first[depth] = 1;
    this.#keyCount[depth] = 0;
    this.#depth = depth + 1;
  }

  /** Records a key's hash in the object at `depth`, refusing one seen before. */
  #addKey(depth: number, hash: number): void {
    const count = this.#keyCount[depth]!;
    const base = depth * LINEAR_KEYS;
    const hashes = this.#keyHashes;
    for (let i = base, end = base + Math.min(count, LINEAR_KEYS); i < end; i++)
      if (hashes[i] === hash) throw NOT_CANONICAL;
    if (count < LINEAR_KEYS) hashes[base + count] = hash;
    else {
      let set = this.#keySets[depth];
      if (set === undefined) {
        set = new Set();
        this.#keySets[depth] = set;
      }
      if (count === LINEAR_KEYS) set.clear();
      if (set.has(hash)) throw NOT_CANONICAL;
      set.add(hash);
    }
    this.#keyCount[depth] = count + 1;
  }

  /** Reads a key (a string at `pos`), refusing array indices; returns the hash of its bytes. */
  #readKey(): number {
    const buf = this.buf;
    const start = this.pos + 1;
    if (this.pos >= this.end || buf[this.pos] !== QUOTE) throw NOT_CANONICAL;
    // Scanned and hashed in one pass; a key with an escape is scanned by skipString, then hashed.
    let hash = FNV_OFFSET;
    let digits = true;
    let i = start;
    for (; i < this.end; i++) {
      const c = buf[i]!;
      if (c === QUOTE || c === BACKSLASH || c < 0x20) break;
      if (c < DIGIT_0 || c > DIGIT_9) digits = false;
      hash = Math.imul(hash ^ c, FNV_PRIME);
    }
    if (buf[i] !== QUOTE || i >= this.end) {
      this.skipString();
      i = this.pos - 1;
      hash = FNV_OFFSET;
      digits = true;
      for (let k = start; k < i; k++) {
        const c = buf[k]!;
        if (c < DIGIT_0 || c > DIGIT_9) digits = false;
        hash = Math.imul(hash ^ c, FNV_PRIME);
      }
    }
    this.pos = i + 1;
    this.keyStart = start;
    this.keyEnd = i;
    if (digits && i > start && (i - start === 1 || buf[start] !== DIGIT_0)) {
      if (Number(buf.toString('latin1', start, i)) < MAX_ARRAY_INDEX) throw NOT_CANONICAL;
    }
    return hash;
  }

  #skipArray(): void {
    this.pos += 1;
    this.#open(); // an array counts towards the depth; it never has keys
    if (this.peek() === CLOSE_ARRAY) {
      this.pos += 1;
      this.#depth -= 1;
      return;
    }
    for (;;) {
      this.skipValue();
      const c = this.peek();
      this.pos += 1;
      if (c === CLOSE_ARRAY) break;
      if (c !== COMMA) throw NOT_CANONICAL;
    }
    this.#depth -= 1;
  }

  /** A number is canonical when it reads back as the same text: `String(Number(text))`. */
  #skipNumber(): void {
    const buf = this.buf;
    const start = this.pos;
    let i = start;
    while (i < this.end) {
      const c = buf[i]!;
      if ((c >= DIGIT_0 && c <= DIGIT_9) || c === 0x2e || c === 0x65 || c === 0x2b || c === MINUS) i += 1;
      else break;
    }
    const text = buf.toString('latin1', start, i);
    if (!CANONICAL_NUMBER.test(text) || String(Number(text)) !== text) throw NOT_CANONICAL;
    this.pos = i;
  }

  #skipLiteral(c: number): void {
    const literal = LITERALS.get(c);
    if (literal === undefined) throw NOT_CANONICAL;
    const end = this.pos + literal.length;
    if (end > this.end || this.buf.compare(literal, 0, literal.length, this.pos, end) !== 0)
      throw NOT_CANONICAL;
    this.pos = end;
  }
}
