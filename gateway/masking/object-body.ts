/**
 * Masks a JSON response body that is one document: a single object, a list, or a Table — in
 * bounded memory, whatever the size of the list.
 *
 * Design: a structural scanner (json-scanner.ts) reads the body once as it streams. The members
 * of the top-level object before `items` (a list) or `rows` (a Table) — kind, apiVersion,
 * metadata, columnDefinitions — are held, parsed, and emitted once the array opens. Then each
 * element is held until its closing separator, parsed, masked and emitted on its own: as the
 * original bytes when nothing in it was masked, re-serialised when something was. What follows
 * the array is checked and emitted at the end. Any other document (a single object, a Status, or
 * a list whose `kind` does not precede `items`, which kube-apiserver never sends) is held whole,
 * up to `maxObjectBytes`, and masked as one.
 *
 * Memory: the current element (≤ maxObjectBytes, typically a few KB) as bytes, its string, its
 * parsed form and, when masked, its serialisation — never the list. Output never includes bytes of
 * an element that failed to parse: errors are thrown before that element is emitted.
 */
import { type JsonObject, type JsonValue, MaskTally, stringAt } from '../../src/masking/mask-core.ts';
import type { MaskingRules } from '../../src/masking/policy.ts';
import {
  type BodyMasker,
  ByteSection,
  type Emit,
  joinParts,
  parseUpstreamJson,
  skipWhitespace,
  unreadable,
} from './body-masker.ts';
import { documentShapeProblem, isExpectedKind } from './document-shape.ts';
import { hasDuplicateKeys } from './duplicate-keys.ts';
import {
  CLOSE_ARRAY,
  CLOSE_OBJECT,
  COLON,
  COMMA,
  JsonScanner,
  OPEN_ARRAY,
  OPEN_OBJECT,
  QUOTE,
} from './json-scanner.ts';
import { listItemKind, maskDocument, maskTableRow } from './mask-object.ts';
import { ByteRun, maskSecretBytes, maskSecretItemAt } from './secret-bytes.ts';
import { scrubStatus } from './status-scrub.ts';

export interface DocumentMaskerOptions {
  /** The kind the request was for: the kind of objects that do not say theirs. */
  kindHint: string;
  rules: MaskingRules;
  maxObjectBytes: number;
  tally: MaskTally;
  /** Values the request wrote: a Status answer quoting one is withheld (status-scrub.ts). */
  requestValues?: readonly string[];
  emit: Emit;
  /**
   * Parse every piece, never take the byte-level path for Secrets (secret-bytes.ts). Only the
   * tests set it: the parse-based masker is the oracle the byte-level one is checked against.
   */
  parseOnly?: boolean;
}

type Phase = 'start' | 'head' | 'elements' | 'tail' | 'done';

const BLANK = /^\s*$/;
/** Why a piece with a repeated key is refused (duplicate-keys.ts). */
export const REPEATED_KEY = 'a key repeated within one object';

export class ObjectBodyMasker implements BodyMasker {
  readonly #o: DocumentMaskerOptions;
  readonly #scanner = new JsonScanner();
  readonly #section: ByteSection;
  #phase: Phase = 'start';
  #expectKey = false;
  /** Slices of the top-level member name being read; null when not reading one. */
  #keyParts: Buffer[] | null = null;
  #keyStart = 0;
  #memberKey = '';
  #listKind = '';
  #itemKind = '';
  #pending: Buffer[] = [];

  constructor(options: DocumentMaskerOptions) {
    this.#o = options;
    this.#section = new ByteSection(options.maxObjectBytes, `a ${options.kindHint} response`);
  }

  maskedCount(): number {
    return this.#o.tally.count;
  }

  dispose(): void {}

  write(chunk: Buffer): void {
    try {
      this.#write(chunk);
    } finally {
      this.#flush();
    }
  }

  /**
   * Output is gathered per input chunk and passed on once at its end (also when it throws: what
   * was gathered is complete, masked pieces): one push per chunk instead of two per list item.
   */
  #emit(bytes: Buffer): void {
    this.#pending.push(bytes);
  }

  #flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    this.#o.emit(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
  }

  #write(chunk: Buffer): void {
    let i = 0;
    if (this.#phase === 'start') {
      i = skipWhitespace(chunk, 0);
      if (i === chunk.length) return;
      if (chunk[i] !== OPEN_OBJECT) throw unreadable(`a ${this.#o.kindHint} response`, 'not a JSON object');
      this.#phase = 'head';
    }
    let start = i;
    const scanner = this.#scanner;
    for (
      let t = scanner.next(chunk, i, this.#depthLimit());
      t !== -1;
      t = scanner.next(chunk, Math.max(t + 1, start), this.#depthLimit())
    ) {
      start = this.#token(chunk, t, start);
      if (start === t + 1 && this.#phase === 'elements') start = this.#secretItemsAt(chunk, start);
    }
    if (this.#keyParts !== null) {
      this.#keyParts.push(chunk.subarray(this.#keyStart));
      this.#keyStart = 0;
    }
    const rest = chunk.subarray(start);
    if (this.#phase !== 'done') this.#section.push(rest);
    else this.#emitTrailing(rest);
  }

  end(): void {
    if (this.#phase !== 'start' && this.#phase !== 'done') {
      throw unreadable(`a ${this.#o.kindHint} response`, 'the body ended before its JSON object did');
    }
  }

  /** The deepest tokens the current phase looks at; deeper ones the scanner skips by itself. */
  #depthLimit(): number {
    return this.#phase === 'tail' ? 0 : this.#phase === 'done' ? Number.MAX_SAFE_INTEGER : 2;
  }

  /** Parses a piece just taken, telling the parser whether it held numbers to keep exact. */
  #parse(text: string, what: string): JsonValue {
    const exact = this.#scanner.lossyNumbers;
    this.#scanner.lossyNumbers = false;
    return parseUpstreamJson(text, what, exact);
  }

  /** Handles the token at `t`; returns the new start of the bytes not yet held or emitted. */
  #token(chunk: Buffer, t: number, start: number): number {
    const { token, depth } = this.#scanner;
    switch (this.#phase) {
      case 'head':
        return this.#headToken(chunk, t, start, token, depth);
      case 'elements':
        if ((token === COMMA && depth === 2) || (token === CLOSE_ARRAY && depth === 1)) {
          this.#element(this.#section.take(chunk.subarray(start, t)));
          this.#emit(chunk.subarray(t, t + 1));
          if (token === CLOSE_ARRAY) this.#phase = 'tail';
          return t + 1;
        }
        return start;
      case 'tail':
        if (token === CLOSE_OBJECT && depth === 0) {
          this.#tail(joinParts(this.#section.take(chunk.subarray(start, t + 1))));
          this.#phase = 'done';
          return t + 1;
        }
        return start;
      default:
        throw unreadable(`a ${this.#o.kindHint} response`, 'data after the end of its JSON object');
    }
  }

  #headToken(chunk: Buffer, t: number, start: number, token: number, depth: number): number {
    if (depth === 1 && token === QUOTE) {
      if (this.#scanner.inString && this.#expectKey) {
        this.#keyParts = [];
        this.#keyStart = t;
      } else if (!this.#scanner.inString && this.#keyParts !== null) {
        this.#keyParts.push(chunk.subarray(this.#keyStart, t + 1));
        const key = parseUpstreamJson(joinParts(this.#keyParts).toString('utf8'), 'a member name');
        this.#memberKey = typeof key === 'string' ? key : '';
        this.#keyParts = null;
      }
    } else if (depth === 1 && (token === OPEN_OBJECT || token === COMMA || token === COLON)) {
      this.#expectKey = token !== COLON;
    } else if (
      depth === 2 &&
      token === OPEN_ARRAY &&
      (this.#memberKey === 'items' || this.#memberKey === 'rows')
    ) {
      return this.#openArray(chunk, t, start);
    } else if (depth === 0 && token === CLOSE_OBJECT) {
      this.#whole(joinParts(this.#section.take(chunk.subarray(start, t + 1))));
      this.#phase = 'done';
      return t + 1;
    }
    return start;
  }

  /** `items` or `rows` opened: stream its elements if the head says this is a list or Table. */
  #openArray(chunk: Buffer, t: number, start: number): number {
    const parts = this.#section.take(chunk.subarray(start, t + 1));
    const head = this.#parse(`${joinParts(parts).toString('utf8')}]}`, 'a list');
    const kind = stringAt(head, 'kind') ?? '';
    const isRows = this.#memberKey === 'rows';
    let streamable = isRows ? kind === 'Table' : kind.endsWith('List');
    if (streamable && !isExpectedKind(kind, this.#o.kindHint)) {
      throw unreadable(`a ${this.#o.kindHint} response`, `a document of an unexpected kind`);
    }
    if (streamable) {
      const probe = new MaskTally();
      maskDocument(head, this.#o.kindHint, this.#o.rules, probe);
      streamable = probe.count === 0;
    }
    if (!streamable) {
      for (const part of parts) this.#section.push(part);
      return t + 1;
    }
    for (const part of parts) this.#emit(part);
    this.#listKind = kind;
    this.#itemKind = isRows ? this.#o.kindHint : listItemKind(kind, this.#o.kindHint);
    this.#phase = 'elements';
    return t + 1;
  }

  #element(parts: Buffer[]): void {
    if (parts.length === 0) return;
    const bytes = joinParts(parts);
    const isRow = this.#listKind === 'Table';
    if (!isRow && this.#emitSecretBytes(bytes, false)) return;
    const text = bytes.toString('utf8');
    if (BLANK.test(text)) {
      this.#emit(bytes);
      return;
    }
    const what = isRow ? 'a Table row' : `an item of a ${this.#listKind}`;
    const value = this.#parse(text, what);
    if (hasDuplicateKeys(bytes)) throw unreadable(what, REPEATED_KEY);
    const { rules, tally } = this.#o;
    const before = tally.count;
    if (isRow) maskTableRow(value, this.#itemKind, rules, tally);
    else maskDocument(value, this.#itemKind, rules, tally);
    this.#emit(tally.count === before ? bytes : Buffer.from(JSON.stringify(value)));
  }

  /** What follows the array: emitted as is, after checking it holds nothing to mask. */
  #tail(bytes: Buffer): void {
    const tail = this.#parse(`{"":0${bytes.toString('utf8')}`, `a ${this.#listKind}`);
    const probe = new MaskTally();
    maskDocument({ ...(tail as JsonObject), kind: this.#listKind }, this.#o.kindHint, this.#o.rules, probe);
    if (probe.count > 0) throw unreadable(`a ${this.#listKind}`, 'a second items array');
    this.#emit(bytes);
  }

  #whole(bytes: Buffer): void {
    if (this.#emitSecretBytes(bytes, true)) return;
    const value = this.#parse(bytes.toString('utf8'), `a ${this.#o.kindHint} response`);
    if (hasDuplicateKeys(bytes)) throw unreadable(`a ${this.#o.kindHint} response`, REPEATED_KEY);
    const { kindHint, rules, tally } = this.#o;
    const problem = documentShapeProblem(value, kindHint);
    if (problem !== undefined) throw unreadable(`a ${kindHint} response`, problem);
    const before = tally.count;
    maskDocument(value, kindHint, rules, tally);
    if (stringAt(value, 'kind') === 'Status' && scrubStatus(value as JsonObject, this.#o.requestValues ?? []))
      tally.dropped();
    this.#emit(tally.count === before ? bytes : Buffer.from(JSON.stringify(value)));
  }

  /**
   * At the start of a list element (after `[` or `,`): masks the Secret items that lie whole in
   * this chunk with the byte-level path, which finds their end itself, and returns the index past
   * the last one, with the separators between them passed on in the same buffer; the scanner
   * resumes there, at the separator that follows. Stops at the first item it cannot take; that one
   * is cut and parsed as usual.
   */
  #secretItemsAt(chunk: Buffer, from: number): number {
    if (
      this.#o.parseOnly ||
      this.#itemKind !== 'Secret' ||
      this.#listKind === 'Table' ||
      !this.#o.rules.secrets
    )
      return from;
    if (this.#section.bytes > 0 || chunk[from] !== OPEN_OBJECT) return from;
    // Masked items are about as long as they were: room for the rest of the chunk, to begin with.
    const run = new ByteRun(chunk.length - from + 1024);
    let at = from;
    for (;;) {
      const end = maskSecretItemAt(chunk, at, this.#o.tally, run);
      if (end === undefined) break;
      at = end;
      if (chunk[at] !== COMMA || chunk[at + 1] !== OPEN_OBJECT) break;
      run.push(COMMA);
      at += 1;
    }
    if (run.length > 0) {
      this.#scanner.lossyNumbers = false;
      this.#emit(run.bytes());
    }
    return at;
  }

  /** The byte-level path for a Secret (a list item, or the whole document); false to parse instead. */
  #emitSecretBytes(bytes: Buffer, wholeDocument: boolean): boolean {
    const kind = wholeDocument ? this.#o.kindHint : this.#itemKind;
    if (this.#o.parseOnly || kind !== 'Secret' || !this.#o.rules.secrets) return false;
    const masked = maskSecretBytes(bytes, wholeDocument, this.#o.tally);
    if (masked === undefined) return false;
    this.#scanner.lossyNumbers = false;
    this.#emit(masked);
    return true;
  }

  #emitTrailing(bytes: Buffer): void {
    if (skipWhitespace(bytes, 0) !== bytes.length)
      throw unreadable(`a ${this.#o.kindHint} response`, 'data after its JSON object');
    if (bytes.length > 0) this.#emit(bytes);
  }
}
