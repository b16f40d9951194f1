/**
 * An incremental JSON tokenizer that finds only structure: the bytes `{ } [ ] , :` outside strings
 * and the quotes that open and close strings. It never builds values, so a body is scanned once,
 * in place, in whatever chunks it arrives, with constant memory; the maskers use it to cut a body
 * into pieces (list elements, watch events) that are then parsed one at a time.
 *
 * Working on bytes is sound for UTF-8: every byte of a multi-byte sequence is >= 0x80, so it can
 * never be mistaken for a quote, backslash or bracket. Strings are skipped with `indexOf` (native
 * speed over long base64 values); the positions of the next quote and backslash are cached per
 * chunk so a string full of escapes does not rescan the chunk for every escape. Tokens nested
 * deeper than the caller cares about are skipped inside the loop (`depthLimit`), which is where
 * most of a list's structure is.
 *
 * The scanner does not validate: malformed input yields a wrong depth, never an exception. The
 * maskers parse every piece they cut with `JSON.parse`, which is the validation. On the way it
 * notes numbers `JSON.parse` would round (16+ digits, or an exponent) in `lossyNumbers`, so the
 * parser knows when to keep their source text.
 */

export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

export class JsonScanner {
  /** Containers open after the last token (a `{` or `[` counts itself; a `}` or `]` is gone). */
  depth = 0;
  /** True between a string's opening quote and its closing quote. */
  inString = false;
  /** The byte of the last token `next` returned. */
  token = 0;
  /** A number with 16+ digits or an exponent was seen since the caller last reset this. */
  lossyNumbers = false;
  #digits = 0;
  #escaped = false;
  #cacheChunk: Buffer | null = null;
  #cacheFrom = 0;
  /** Cached `indexOf` results for `#cacheChunk`: -2 unknown, -1 none after `#cacheFrom`. */
  #nextQuote = -2;
  #nextBackslash = -2;

  /**
   * Returns the index of the next token in `chunk` at or after `from` whose depth (after it) is at
   * most `depthLimit`, or -1 when the chunk ends first (the state carries over to the next chunk).
   * After a quote token, `inString` says whether it opened (true) or closed (false) a string.
   */
  next(chunk: Buffer, from: number, depthLimit = Number.MAX_SAFE_INTEGER): number {
    const n = chunk.length;
    let i = from;
    for (;;) {
      if (this.inString) {
        const end = this.#skipString(chunk, i);
        if (end < 0) return -1;
        this.inString = false;
        if (this.depth <= depthLimit) {
          this.token = QUOTE;
          return end;
        }
        i = end + 1;
      }
      for (; i < n; i++) {
        const c = chunk[i]!;
        if ((c >= DIGIT_0 && c <= DIGIT_9) || c === DOT) {
          if (++this.#digits >= 16) this.lossyNumbers = true;
          continue;
        }
        if ((c === LOWER_E || c === UPPER_E) && this.#digits > 0) this.lossyNumbers = true;
        this.#digits = 0;
        if (c === QUOTE) {
          this.inString = true;
          if (this.depth <= depthLimit) break;
          i += 1;
          break;
        }
        if (c === OPEN_OBJECT || c === OPEN_ARRAY) this.depth += 1;
        else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) this.depth -= 1;
        else if (c !== COMMA && c !== COLON) continue;
        if (this.depth <= depthLimit) break;
      }
      if (i >= n) return -1;
      if (!this.inString || this.depth <= depthLimit) {
        this.token = chunk[i]!;
        return i;
      }
    }
  }

  /** Index of the closing quote of the current string, or -1 when the chunk ends inside it. */
  #skipString(chunk: Buffer, from: number): number {
    let i = from;
    const n = chunk.length;
    if (this.#cacheChunk !== chunk || from < this.#cacheFrom) {
      this.#cacheChunk = chunk;
      this.#nextQuote = -2;
      this.#nextBackslash = -2;
    }
    this.#cacheFrom = from;
    for (;;) {
      if (this.#escaped) {
        if (i >= n) return -1;
        this.#escaped = false;
        i += 1;
      }
      if (this.#nextQuote !== -1 && this.#nextQuote < i) this.#nextQuote = chunk.indexOf(QUOTE, i);
      if (this.#nextBackslash !== -1 && this.#nextBackslash < i)
        this.#nextBackslash = chunk.indexOf(BACKSLASH, i);
      const quote = this.#nextQuote;
      const backslash = this.#nextBackslash;
      if (backslash !== -1 && (quote === -1 || backslash < quote)) {
        this.#escaped = true;
        i = backslash + 1;
        continue;
      }
      return quote;
    }
  }
}
