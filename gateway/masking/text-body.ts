/**
 * Masks a text body (`pods/log`, later exec output) line by line, keeping its shape: line breaks
 * and every byte the detectors do not replace are written back as they came.
 *
 * A line is held until its newline arrives, so a secret split across two chunks is still seen
 * whole. Two limits keep that from holding output back for ever:
 * - a line longer than `maxLineBytes` is cut (after the last space or tab in it, else at the
 *   limit, never inside a UTF-8 character), and the piece is masked and emitted;
 * - when following a log (`partialLineFlushMs` > 0), a partial line that has waited that long
 *   without its newline (a prompt, a progress bar) is masked and emitted as it is.
 * A value cut by the length limit is matched only in part (an assignment still hides its value,
 * a known literal may not): the price of not stalling. A partial-line flush keeps back an end of
 * the line that could begin a known literal value, so a literal written in pieces is still seen
 * whole. Lines that are not valid UTF-8 are read as Latin-1,
 * which keeps every byte; the detectors look for ASCII, so they still apply.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { BodyMasker, Emit } from './body-masker.ts';
import type { LineMasker } from './line-masker.ts';

export interface TextMaskerOptions {
  lineMasker: LineMasker;
  maxLineBytes: number;
  /** Follow mode: flush a partial line after this many ms without new data; 0 never. */
  partialLineFlushMs: number;
  emit: Emit;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export class TextBodyMasker implements BodyMasker {
  readonly #o: TextMaskerOptions;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: TextMaskerOptions) {
    this.#o = options;
  }

  maskedCount(): number {
    return this.#o.lineMasker.count;
  }

  write(chunk: Buffer): void {
    this.dispose();
    const out: Buffer[] = [];
    let start = 0;
    // Lines that come out unchanged are passed on as one slice per run, not one per line.
    let run = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    if (nl !== -1 && this.#pending.length > 0) {
      out.push(this.#maskLine(this.#takePending(chunk.subarray(0, nl))), chunk.subarray(nl, nl + 1));
      start = nl + 1;
      run = start;
      nl = chunk.indexOf(NEWLINE, start);
    }
    // From here every line starts in this chunk; a newline never ends inside a UTF-8 sequence, so
    // when the lines' bytes are valid UTF-8 as a whole, each line is.
    const last = chunk.lastIndexOf(NEWLINE);
    const allAscii = last >= start && isAscii(chunk.subarray(start, last + 1));
    const allUtf8 = allAscii || (last >= start && isUtf8(chunk.subarray(start, last + 1)));
    if (allAscii) {
      // Most output holds nothing to mask: only the lines holding something the masker could act
      // on are masked, the runs between them pass as they are. ASCII text's indexes are its bytes'.
      const base = start;
      const next = this.#o.lineMasker.changeFinder(chunk.toString('latin1', start, last + 1));
      for (let at = next(0); at !== -1; at = start > last ? -1 : next(start - base)) {
        // `start` begins a line and no trigger spans a line break: the line is within [start, last].
        const lineStart = base + at > start ? chunk.lastIndexOf(NEWLINE, base + at - 1) + 1 : start;
        const lineEnd = chunk.indexOf(NEWLINE, base + at);
        const masked = this.#maskUtf8Line(chunk, lineStart, lineEnd);
        if (masked !== undefined) {
          if (lineStart > run) out.push(chunk.subarray(run, lineStart));
          out.push(masked);
          run = lineEnd;
        }
        start = lineEnd + 1;
      }
      start = last + 1;
      nl = -1;
    } else if (allUtf8 && !this.#o.lineMasker.mayChange(chunk.toString('utf8', start, last + 1))) {
      // Likewise for other UTF-8 text, only as a whole: its indexes are not its bytes'.
      start = last + 1;
      nl = -1;
    }
    for (; nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      let masked: Buffer | undefined;
      if (allUtf8) masked = this.#maskUtf8Line(chunk, start, nl);
      else {
        const line = chunk.subarray(start, nl);
        const result = this.#maskLine(line);
        masked = result === line ? undefined : result;
      }
      if (masked !== undefined) {
        if (start > run) out.push(chunk.subarray(run, start));
        out.push(masked);
        run = nl;
      }
      start = nl + 1;
    }
    if (start > run) out.push(chunk.subarray(run, start));
    if (start < chunk.length) {
      this.#pending.push(chunk.subarray(start));
      this.#pendingBytes += chunk.length - start;
    }
    while (this.#pendingBytes > this.#o.maxLineBytes) out.push(this.#cutLongLine());
    if (out.length > 0) this.#o.emit(out.length === 1 ? out[0]! : Buffer.concat(out));
    if (this.#pendingBytes > 0 && this.#o.partialLineFlushMs > 0) {
      this.#timer = setTimeout(() => this.#flushPartial(), this.#o.partialLineFlushMs);
      this.#timer.unref();
    }
  }

  /**
   * Masks the line [start, end) of `chunk`, known to be valid UTF-8; returns undefined when it
   * comes out unchanged, else its masked bytes (a trailing CR of a CRLF stays outside the masked
   * text, as in `#maskLine`).
   */
  #maskUtf8Line(chunk: Buffer, start: number, end: number): Buffer | undefined {
    const hasCr = end > start && chunk[end - 1] === CR;
    const bodyEnd = hasCr ? end - 1 : end;
    const text = chunk.toString('utf8', start, bodyEnd);
    const masked = this.#o.lineMasker.maskLine(text);
    if (masked === text) return undefined;
    const out = Buffer.from(masked, 'utf8');
    return hasCr ? Buffer.concat([out, chunk.subarray(end - 1, end)]) : out;
  }

  end(): void {
    this.dispose();
    if (this.#pendingBytes > 0) this.#o.emit(this.#maskLine(this.#takePending()));
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The held partial line joined with `last`, leaving nothing held. */
  #takePending(last?: Buffer): Buffer {
    if (this.#pending.length === 0) return last ?? Buffer.alloc(0);
    if (last !== undefined) this.#pending.push(last);
    const joined = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    return joined;
  }

  /** Masks one line's bytes (a trailing CR of a CRLF stays outside the masked text). */
  #maskLine(bytes: Buffer): Buffer {
    const hasCr = bytes.length > 0 && bytes[bytes.length - 1] === CR;
    const body = hasCr ? bytes.subarray(0, -1) : bytes;
    const encoding = isUtf8(body) ? 'utf8' : 'latin1';
    const text = body.toString(encoding);
    const masked = this.#o.lineMasker.maskLine(text);
    if (masked === text) return bytes;
    const out = Buffer.from(masked, encoding);
    return hasCr ? Buffer.concat([out, bytes.subarray(-1)]) : out;
  }

  /** Cuts the held line at a whitespace or character boundary within the limit; masks the piece. */
  #cutLongLine(): Buffer {
    const held = this.#takePending();
    const limit = this.#o.maxLineBytes;
    let cut = Math.max(held.lastIndexOf(0x20, limit - 1), held.lastIndexOf(0x09, limit - 1)) + 1;
    if (cut < limit / 2) cut = limit;
    while (cut > 1 && (held[cut]! & 0xc0) === 0x80) cut -= 1;
    this.#hold(held.subarray(cut));
    return this.#maskLine(held.subarray(0, cut));
  }

  /**
   * Follow mode: the partial line waited long enough; emit all of it but an unfinished character
   * and an end that could be the start of a known literal value (held until more comes, or the end).
   */
  #flushPartial(): void {
    this.#timer = undefined;
    const held = this.#takePending();
    let cut = completeUtf8Length(held);
    const head = held.subarray(0, cut);
    const encoding = isUtf8(head) ? 'utf8' : 'latin1';
    const text = head.toString(encoding);
    const keep = this.#o.lineMasker.literalPrefixAtEnd(text);
    if (keep > 0) cut -= Buffer.byteLength(text.slice(text.length - keep), encoding);
    this.#hold(held.subarray(cut));
    if (cut > 0) this.#o.emit(this.#maskLine(held.subarray(0, cut)));
  }

  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#pending = [bytes];
    this.#pendingBytes = bytes.length;
  }
}

/** The length of `bytes` without a UTF-8 sequence cut off at its end. */
function completeUtf8Length(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue;
    const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}
