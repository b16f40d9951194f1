/**
 * Detectors for secrets in free text (container logs, later exec output): each finds values that
 * look like credentials on one line and replaces only the value, so the line keeps its shape.
 *
 * Detectors err towards masking too much: a masked word in a log costs a reader a moment, a leaked
 * credential costs a rotation. Private-key PEM blocks span lines and are handled by the stateful
 * `LineMasker`; only their single-line form (a JSON-escaped key on one line) is handled here.
 *
 * Every detector runs in time linear in the line, whatever the line holds (no regular expression
 * here can backtrack over a run it already scanned): log lines are written by whatever runs in the
 * container, and a crafted line must not stall the gateway.
 */
import { MASK_MARKER } from './mask-core.ts';

/** The detector names a policy can list under `logs.detectors`. */
export const DETECTOR_NAMES = ['awsAccessKey', 'privateKey', 'jwt', 'assignment'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export interface LineDetector {
  readonly name: DetectorName;
  /** The line with this detector's findings masked, and how many it masked. */
  readonly mask: (line: string) => { text: string; count: number };
}

/** `-----BEGIN … PRIVATE KEY-----` in any flavour (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP). */
export const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
export const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
const PEM_BEGIN_ALL = new RegExp(PEM_BEGIN.source, 'g');
const PEM_END_ALL = new RegExp(PEM_END.source, 'g');

/** Replaces every match of the global `pattern` in `line` with the marker. */
function replaceMatches(pattern: RegExp, line: string): { text: string; count: number } {
  let count = 0;
  const text = line.replace(pattern, () => {
    count += 1;
    return MASK_MARKER;
  });
  return { text, count };
}

/** A JWT: three base64url segments, the first a JSON header (`eyJ` = `{"`), not inside a word. */
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** AWS access key ids: long-term (AKIA) and temporary (ASIA), plus the rarer ABIA and ACCA. */
const AWS_ACCESS_KEY = /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g;

/**
 * A key at the start of a run of key characters, followed by `=` or `:`. The key is bounded and
 * must start a run (lookbehind), so a long run of letters is scanned once, not once per letter.
 */
const ASSIGNMENT_KEY = /(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{1,128}["']?[ \t]*[:=][ \t]*/g;
/** Key names whose assigned value is a credential. */
const CREDENTIAL_KEY =
  /password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization/i;
const AUTH_SCHEME = /^(?:bearer|basic|token)[ \t]+/i;
const UNQUOTED_END = /[\s,;&"'}\]]/g;

/** The end (exclusive) of the value starting at `from`: quoted (escapes honoured) or bare. */
function valueEnd(line: string, from: number): number {
  const quote = line[from];
  if (quote === '"' || quote === "'") {
    for (let i = from + 1; i < line.length; i++) {
      if (line[i] === '\\' && quote === '"') i += 1;
      else if (line[i] === quote) return i + 1;
    }
    return line.length;
  }
  UNQUOTED_END.lastIndex = from;
  return UNQUOTED_END.exec(line)?.index ?? line.length;
}

/** `password=…`, `"apiKey": "…"`, `secret: …`, `Authorization: Bearer …`: masks the value only. */
function maskAssignments(line: string): { text: string; count: number } {
  if (!CREDENTIAL_KEY.test(line)) return { text: line, count: 0 };
  let out = '';
  let last = 0;
  let count = 0;
  ASSIGNMENT_KEY.lastIndex = 0;
  for (let m = ASSIGNMENT_KEY.exec(line); m !== null; m = ASSIGNMENT_KEY.exec(line)) {
    if (!CREDENTIAL_KEY.test(m[0])) continue;
    let start = m.index + m[0].length;
    start += AUTH_SCHEME.exec(line.slice(start, start + 16))?.[0].length ?? 0;
    const end = valueEnd(line, start);
    const quoted =
      end - start >= 2 && (line[start] === '"' || line[start] === "'") && line[end - 1] === line[start];
    const inner = quoted ? line.slice(start + 1, end - 1) : line.slice(start, end);
    ASSIGNMENT_KEY.lastIndex = Math.max(end, ASSIGNMENT_KEY.lastIndex);
    if (inner === '' || inner === MASK_MARKER) continue;
    const q = quoted ? line[start] : '';
    out += `${line.slice(last, start)}${q}${MASK_MARKER}${q}`;
    last = end;
    count += 1;
  }
  return count === 0 ? { text: line, count } : { text: out + line.slice(last), count };
}

/** A key escaped onto one line (`-----BEGIN…-----\nMIIE…\n-----END…-----`): masks between the two. */
function maskOneLinePem(line: string): { text: string; count: number } {
  if (!line.includes('PRIVATE KEY')) return { text: line, count: 0 };
  const begin = PEM_BEGIN_ALL;
  const end = PEM_END_ALL;
  begin.lastIndex = 0;
  let out = '';
  let last = 0;
  let count = 0;
  for (let b = begin.exec(line); b !== null; b = begin.exec(line)) {
    end.lastIndex = b.index + b[0].length;
    const e = end.exec(line);
    if (e === null) break;
    const bodyStart = b.index + b[0].length;
    if (line.slice(bodyStart, e.index) !== MASK_MARKER) {
      out += line.slice(last, bodyStart) + MASK_MARKER;
      last = e.index;
      count += 1;
    }
    begin.lastIndex = e.index + e[0].length;
  }
  return count === 0 ? { text: line, count } : { text: out + line.slice(last), count };
}

const AWS_PREFIX = /AKIA|ASIA|ABIA|ACCA/g;
const CREDENTIAL_KEY_ALL = new RegExp(CREDENTIAL_KEY.source, 'gi');

/** The index of the first match of the global `pattern` in `text` at or after `from`, or -1. */
function matchAt(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.exec(text)?.index ?? -1;
}

// One search for either character: two `indexOf` calls would each run on past the nearer one,
// over the same text again at every line the masker resumes at.
const ASSIGNMENT_OPERATOR = /[:=]/g;

/**
 * The first credential key word at or after `from` that has a `:` or `=` after it on its line,
 * or -1: `maskAssignments` acts only on such a word (in the key before the operator), so the
 * others need not be found. The operator is looked for first: text without one (base64, many
 * files and listings) is passed over in ~0.05 ms per MB, where the case-insensitive pattern took
 * ~3.5 ms per MB of random base64 lines (its alternatives start with letters such text is full
 * of). Linear: each stretch of text is searched once per call, and `from` only moves forward.
 */
function credentialAssignmentAt(text: string, from: number): number {
  let start = from;
  for (;;) {
    const operator = matchAt(ASSIGNMENT_OPERATOR, text, start);
    if (operator === -1) return -1;
    const word = matchAt(CREDENTIAL_KEY_ALL, text, Math.max(start, text.lastIndexOf('\n', operator) + 1));
    // Before the operator (so on its line), or none at all; else go on from the word, whose
    // line may still hold an operator after it.
    if (word < operator) return word;
    start = word;
  }
}

/**
 * Per detector, where in a text (at or after `from`) the first thing it could act on starts, or
 * -1: each detector only acts on lines that contain one of these (none spans a line break), so a
 * masker can pass the lines before the first one untouched at once and mask only the lines that
 * hold one.
 */
export const DETECTOR_TRIGGER_AT: Readonly<Record<DetectorName, (text: string, from: number) => number>> = {
  privateKey: (text, from) => text.indexOf('PRIVATE KEY', from),
  jwt: (text, from) => text.indexOf('eyJ', from),
  awsAccessKey: (text, from) => matchAt(AWS_PREFIX, text, from),
  assignment: credentialAssignmentAt,
};

/** All single-line detectors, in the order they run. */
export const LINE_DETECTORS: readonly LineDetector[] = [
  { name: 'privateKey', mask: maskOneLinePem },
  { name: 'jwt', mask: (line) => replaceMatches(JWT, line) },
  { name: 'awsAccessKey', mask: (line) => replaceMatches(AWS_ACCESS_KEY, line) },
  { name: 'assignment', mask: maskAssignments },
];
