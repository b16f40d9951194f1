/**
 * Where each detector's trigger is found (DETECTOR_TRIGGER_AT) must be where a plain search finds
 * it: the text masker passes every line before that index on untouched, so a trigger found late
 * would let a credential through. The assignment detector's is the first credential key word with
 * a `:` or `=` after it on its line (the only words it acts on). Searches resume at `from`, so a search that kept its state from
 * an earlier text or start, or a trigger of another case, shows here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECTOR_NAMES, DETECTOR_TRIGGER_AT, LINE_DETECTORS } from '../../src/masking/text-detectors.ts';

const CREDENTIAL_KEY =
  /password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization/gi;
const ORACLES: Record<Exclude<(typeof DETECTOR_NAMES)[number], 'assignment'>, RegExp> = {
  awsAccessKey: /AKIA|ASIA|ABIA|ACCA/g,
  jwt: /eyJ/g,
  privateKey: /PRIVATE KEY/g,
};

function oracle(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.exec(text)?.index ?? -1;
}

/**
 * The assignment detector acts only on a credential key word followed on its line by `:` or `=`
 * (the key of `key: value`), so its trigger is the first such word: a plain search for the word
 * at each index, and for an operator after it before the line ends.
 */
function assignmentOracle(text: string, from: number): number {
  const word = new RegExp(CREDENTIAL_KEY.source, 'iy');
  for (let i = from; i < text.length; i++) {
    word.lastIndex = i;
    if (!word.test(text)) continue;
    const lineEnd = text.indexOf('\n', i);
    if (/[:=]/.test(text.slice(i, lineEnd === -1 ? text.length : lineEnd))) return i;
  }
  return -1;
}

/** Each word in any mix of cases. */
const anyCase = (word: string) =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));
const words = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'apikey',
  'api_key',
  'api-key',
  'accesskey',
  'access-key',
  'private_key',
  'credential',
  'authorization',
  'AKIA',
  'ASIA',
  'eyJ',
  'PRIVATE KEY',
  // Near misses, and characters that lower-case or fold towards ASCII letters.
  'pas',
  'api key',
  'tokn',
  'ſecret',
  'K',
  'İ',
  'Ű',
];
const textArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(...words).chain(anyCase),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom('\n', ' ', '=', ':'),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

describe('detector triggers', () => {
  it('are found at the first index a plain search finds, from any start', () => {
    fc.assert(
      fc.property(textArb, fc.nat(), (text, start) => {
        const from = text.length === 0 ? 0 : start % (text.length + 1);
        for (const name of DETECTOR_NAMES) {
          expect([name, DETECTOR_TRIGGER_AT[name](text, from)]).toEqual([
            name,
            name === 'assignment' ? assignmentOracle(text, from) : oracle(ORACLES[name], text, from),
          ]);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('holds a trigger on every line the assignment detector changes', () => {
    const assignment = LINE_DETECTORS.find((detector) => detector.name === 'assignment')!;
    fc.assert(
      fc.property(textArb, (text) => {
        for (const line of text.split('\n')) {
          if (assignment.mask(line).count > 0) expect(DETECTOR_TRIGGER_AT.assignment(line, 0)).not.toBe(-1);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('finds every credential key word at its start, in any case', () => {
    for (const word of words.slice(0, 13)) {
      for (const variant of [word, word.toUpperCase(), `${word[0]!.toUpperCase()}${word.slice(1)}`]) {
        expect(DETECTOR_TRIGGER_AT.assignment(`xx ${variant}=1`, 0)).toBe(3);
        expect(DETECTOR_TRIGGER_AT.assignment(`${variant}: "x"`, 0)).toBe(0);
        expect(DETECTOR_TRIGGER_AT.assignment(`${variant} x y\nz=1`, 0)).toBe(-1);
      }
    }
  });
});
