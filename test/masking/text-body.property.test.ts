/**
 * The text masker passes unchanged lines on as runs of the chunk, decodes a chunk's lines once
 * when they are valid UTF-8 as a whole, passes a chunk on at once when no line in it can
 * change (LineMasker.mayChange), and in ASCII text masks only the lines holding a trigger or a
 * literal value (LineMasker.changeFinder). Whatever the text and however it is chunked, its output
 * must be what masking each line on its own gives — the line-at-a-time masker it replaced, written
 * here as the oracle: each line decoded as UTF-8 when valid (else Latin-1), a CR before the
 * newline kept outside the masked text.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineMasker } from '../../gateway/masking/line-masker.ts';
import { TextBodyMasker } from '../../gateway/masking/text-body.ts';
import { DETECTOR_NAMES } from '../../src/masking/text-detectors.ts';
import { splitAt } from './support.ts';

const LITERALS = ['hunter2-pass', 'Ünïcode-sëcret'];
const lineMasker = () => new LineMasker({ detectors: new Set(DETECTOR_NAMES), literals: LITERALS });

function oracle(body: Buffer): Buffer {
  const masker = lineMasker();
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = body.indexOf(0x0a); nl !== -1; nl = body.indexOf(0x0a, start)) {
    out.push(maskLine(masker, body.subarray(start, nl)), Buffer.from('\n'));
    start = nl + 1;
  }
  if (start < body.length) out.push(maskLine(masker, body.subarray(start)));
  return Buffer.concat(out);
}

function maskLine(masker: LineMasker, bytes: Buffer): Buffer {
  const hasCr = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d;
  const body = hasCr ? bytes.subarray(0, -1) : bytes;
  const encoding = isUtf8(body) ? 'utf8' : 'latin1';
  const text = body.toString(encoding);
  const masked = masker.maskLine(text);
  if (masked === text) return bytes;
  return Buffer.concat([Buffer.from(masked, encoding), hasCr ? Buffer.from('\r') : Buffer.alloc(0)]);
}

/** Lines in the shapes the detectors know. */
const SECRET_SHAPES = [
  'password=hunter2-pass',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIyIn0.c2lnbmF0dXJl',
  'API_KEY: zq9-not-a-literal',
  'Authorization: Bearer abc.def',
  'token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
  'AKIAABCDEFGHIJKLMNOP',
  '-----BEGIN PRIVATE KEY-----',
  'MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA',
  '-----END PRIVATE KEY-----',
];
const ASCII_PIECES = [...SECRET_SHAPES, 'hunter2-pass', 'x hunter2-', 'pass y'];
const pieces = fc.oneof(
  fc.constantFrom(...SECRET_SHAPES, 'Ünïcode-sëcret', 'plain text', '\r', '\n', '\r\n'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const bodyArb = fc
  .tuple(fc.array(pieces, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }))
  .map(([parts, raw]) => Buffer.concat([Buffer.from(parts.join('')), Buffer.from(raw), Buffer.from('\n')]));
/**
 * ASCII text, which is masked only on the lines that hold a trigger or a literal value: many
 * plain lines around few that change, so a line masked at the wrong place, or one missed, shows.
 */
const asciiPieces = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...ASCII_PIECES) },
  { weight: 3, arbitrary: fc.constantFrom('plain text', 'more plain output', '\n', '\n', '\r\n') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
);
const asciiBodyArb = fc
  .array(asciiPieces, { maxLength: 60 })
  .map((parts) => Buffer.from(`${parts.join('')}\n`, 'latin1'));

function maskChunked(body: Buffer, cuts: readonly number[], atLines: boolean): Buffer {
  const out: Buffer[] = [];
  const masker = new TextBodyMasker({
    lineMasker: lineMasker(),
    maxLineBytes: 1 << 20,
    partialLineFlushMs: 0,
    emit: (bytes) => out.push(Buffer.from(bytes)),
  });
  // Cut at every line too: then each chunk's lines are checked on their own, so a trigger
  // missed for one line is not covered by another in the same chunk.
  const offsets = cuts.map((c) => Math.floor(c * body.length));
  if (atLines) for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, i + 1)) offsets.push(i + 1);
  for (const chunk of splitAt(body, offsets)) masker.write(chunk);
  masker.end();
  return Buffer.concat(out);
}

/** Masked in chunks cut anywhere (or at line ends), a body comes out as the per-line oracle masks it. */
function chunkedMatchesOracle(bodies: fc.Arbitrary<Buffer>) {
  return fc.property(
    bodies,
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
    fc.boolean(),
    (body, cuts, atLines) => {
      expect(maskChunked(body, cuts, atLines).toString('latin1')).toBe(oracle(body).toString('latin1'));
    },
  );
}

describe('text masking by runs of lines', () => {
  it('writes what masking each line on its own writes, however the text is chunked', () => {
    fc.assert(chunkedMatchesOracle(bodyArb), { numRuns: 1000 });
  });

  it('masks only the lines of ASCII text that hold something to mask, as each line alone would', () => {
    fc.assert(chunkedMatchesOracle(asciiBodyArb), { numRuns: 1000 });
  });
});
