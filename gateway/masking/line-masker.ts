/**
 * Masks secrets in text one line at a time (container logs; later exec stdout/stderr), keeping
 * each line's shape: line breaks are the caller's business, and within a line only the value is
 * replaced by the marker.
 *
 * Stateful for one stream: a private-key PEM block spans lines, so after a `BEGIN … PRIVATE KEY`
 * line every line is masked until the matching `END` line — or until `MAX_PEM_LINES` lines, so a
 * header without a footer cannot blank a log for ever (an 8192-bit RSA key is about 100 lines).
 *
 * Literal values (Secret values the gateway has seen in this session) are matched exactly. A value
 * with line breaks is matched per line, since the text arrives per line. Values shorter than
 * `MIN_LITERAL_LENGTH` are ignored: masking every `1` or `on` in a log would destroy it while
 * hiding nothing an observer could not guess.
 */
import { MASK_MARKER } from '../../src/masking/mask-core.ts';
import {
  DETECTOR_TRIGGER_AT,
  type DetectorName,
  LINE_DETECTORS,
  PEM_BEGIN,
  PEM_END,
} from '../../src/masking/text-detectors.ts';

export const MIN_LITERAL_LENGTH = 4;
export const MAX_PEM_LINES = 256;
const PEM_BEGIN_ALL = new RegExp(PEM_BEGIN.source, 'g');

/** A leading RFC 3339 timestamp, as `kubectl logs --timestamps` prefixes each line. */
const TIMESTAMP_PREFIX = /^(\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)\s+|\s*)/;

export interface LineMaskerOptions {
  detectors: ReadonlySet<DetectorName>;
  /** Exact values to mask wherever they appear (e.g. Secret values seen in this session). */
  literals?: Iterable<string>;
}

/** The literal values as matched, per line: pieces of at least `MIN_LITERAL_LENGTH`, longest first. */
function literalPieces(literals: Iterable<string>): string[] {
  const pieces = new Set<string>();
  for (const literal of literals) {
    for (const piece of literal.split('\n')) {
      const trimmed = piece.endsWith('\r') ? piece.slice(0, -1) : piece;
      if (trimmed.length >= MIN_LITERAL_LENGTH && trimmed !== MASK_MARKER) pieces.add(trimmed);
    }
  }
  return [...pieces].sort((a, b) => b.length - a.length);
}

/** One alternation of the pieces (longest first, so a longer value wins). */
function literalPattern(pieces: readonly string[]): RegExp | undefined {
  if (pieces.length === 0) return undefined;
  return new RegExp(pieces.map((p) => p.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')).join('|'), 'g');
}

export class LineMasker {
  #count = 0;
  #pemLines = -1;
  readonly #pem: boolean;
  readonly #detectors: typeof LINE_DETECTORS;
  readonly #literals: RegExp | undefined;
  readonly #pieces: readonly string[];

  constructor(options: LineMaskerOptions) {
    this.#pem = options.detectors.has('privateKey');
    this.#detectors = LINE_DETECTORS.filter((d) => options.detectors.has(d.name));
    this.#pieces = literalPieces(options.literals ?? []);
    this.#literals = literalPattern(this.#pieces);
  }

  /**
   * The length of the longest end of `text` that could be the start of a literal value (a proper
   * prefix of one), 0 when none: a partial line flushed early must keep that much back, or a
   * value written in pieces would reach the client in pieces, each too short to match.
   */
  literalPrefixAtEnd(text: string): number {
    let longest = 0;
    for (const piece of this.#pieces) {
      // From the longest candidate end down; the first that starts the piece is this piece's best.
      for (let i = Math.max(0, text.length - piece.length + 1); i < text.length - longest; i++) {
        if (text.charCodeAt(i) === piece.charCodeAt(0) && piece.startsWith(text.slice(i))) {
          longest = text.length - i;
          break;
        }
      }
    }
    return longest;
  }

  /**
   * False when `maskLine` would return every line of `text` (several lines) unchanged and leave
   * the masker's state as it is. True means "mask line by line".
   */
  mayChange(text: string): boolean {
    return this.changeFinder(text)(0) !== -1;
  }

  /**
   * A search of `text` (several lines) for what `maskLine` could act on: the function returned
   * gives the index of the first literal value or enabled detector trigger (`DETECTOR_TRIGGER_AT`;
   * the PEM state is only entered on a `PRIVATE KEY` header, the privateKey detector's trigger)
   * at or after `from`, `from` itself while inside a PEM block, and -1 when there is none. A line
   * holding no such index comes out of `maskLine` unchanged and leaves the state as it is (none
   * spans a line break), so the caller masks only the lines that hold one. `from` must not
   * decrease from call to call: each search resumes at its last find, so the text is read once
   * per search however many lines are masked in between.
   */
  changeFinder(text: string): (from: number) => number {
    const searches: Array<(from: number) => number> = [];
    const literals = this.#literals;
    if (literals !== undefined) {
      searches.push((from) => {
        literals.lastIndex = from;
        return literals.exec(text)?.index ?? -1;
      });
    }
    for (const detector of this.#detectors) {
      const at = DETECTOR_TRIGGER_AT[detector.name];
      searches.push((from) => at(text, from));
    }
    // Each search's last find; -2: not searched yet.
    const found = searches.map(() => -2);
    return (from) => {
      if (this.#pemLines >= 0) return from;
      let first = -1;
      for (let i = 0; i < searches.length; i++) {
        let at = found[i]!;
        if (at === -2 || (at !== -1 && at < from)) {
          at = searches[i]!(from);
          found[i] = at;
        }
        if (at !== -1 && (first === -1 || at < first)) first = at;
      }
      return first;
    };
  }

  /** How many values this masker has replaced so far. */
  get count(): number {
    return this.#count;
  }

  /** Masks one line, given without its line terminator. */
  maskLine(line: string): string {
    let text = line;
    if (this.#pemLines >= 0) {
      text = this.#maskPemBody(line);
      if (this.#pemLines >= 0) return text;
    }
    if (this.#literals !== undefined) {
      text = text.replace(this.#literals, () => {
        this.#count += 1;
        return MASK_MARKER;
      });
    }
    for (const detector of this.#detectors) {
      const result = detector.mask(text);
      this.#count += result.count;
      text = result.text;
    }
    return this.#pem ? this.#maybeEnterPem(text) : text;
  }

  /** Inside a PEM block: masks the line (or the part before the END line), keeping a timestamp. */
  #maskPemBody(line: string): string {
    const end = PEM_END.exec(line);
    const body = end === null ? line : line.slice(0, end.index);
    const prefix = TIMESTAMP_PREFIX.exec(body)?.[0] ?? '';
    const masked = body.length > prefix.length ? prefix + MASK_MARKER : body;
    if (masked !== body) this.#count += 1;
    this.#pemLines += 1;
    if (end !== null || this.#pemLines >= MAX_PEM_LINES) this.#pemLines = -1;
    return end === null ? masked : masked + line.slice(end.index);
  }

  /**
   * A BEGIN header still on the line after the single-line detector ran has no END on this line:
   * the key continues on the next lines. Whatever follows the header here is masked now, and the
   * masker enters the PEM state.
   */
  #maybeEnterPem(line: string): string {
    if (!line.includes('PRIVATE KEY')) return line;
    let after = -1;
    PEM_BEGIN_ALL.lastIndex = 0;
    for (let m = PEM_BEGIN_ALL.exec(line); m !== null; m = PEM_BEGIN_ALL.exec(line)) {
      after = m.index + m[0].length;
    }
    if (after < 0 || PEM_END.test(line.slice(after))) return line;
    this.#pemLines = 0;
    const rest = line.slice(after);
    if (rest.trim() === '') return line;
    this.#count += 1;
    return line.slice(0, after) + MASK_MARKER;
  }
}
