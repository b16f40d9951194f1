import { describe, expect, it } from 'vitest';
import { LineMasker, MAX_PEM_LINES } from '../../gateway/masking/line-masker.ts';
import { MASK_MARKER as M } from '../../src/masking/mask-core.ts';
import { DETECTOR_NAMES, type DetectorName } from '../../src/masking/text-detectors.ts';

const all = new Set<DetectorName>(DETECTOR_NAMES);
const masker = (literals: string[] = [], detectors: ReadonlySet<DetectorName> = all) =>
  new LineMasker({ detectors, literals });
const maskLines = (text: string, m = masker()) =>
  text
    .split('\n')
    .map((line) => m.maskLine(line))
    .join('\n');

const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJhZ2VudCIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('LineMasker detectors', () => {
  it('masks AWS access key ids and keeps the rest of the line', () => {
    expect(maskLines('using key AKIAIOSFODNN7EXAMPLE for s3')).toBe(`using key ${M} for s3`);
    expect(maskLines('temp ASIAY34FZKBOKMUTVV7A.')).toBe(`temp ${M}.`);
    expect(maskLines('AKIA-not-a-key AKIAshort')).toBe('AKIA-not-a-key AKIAshort');
  });

  it('masks JWTs', () => {
    expect(maskLines(`Authorization header was ${JWT} ok`)).toBe(`Authorization header was ${M} ok`);
  });

  it('masks the value of password=/secret:/token assignments, quoted or not', () => {
    expect(maskLines('connecting with password=hunter2 to db')).toBe(`connecting with password=${M} to db`);
    expect(maskLines('DB_PASSWORD=hunter2')).toBe(`DB_PASSWORD=${M}`);
    expect(maskLines('secret: s3cr3t')).toBe(`secret: ${M}`);
    expect(maskLines('{"apiKey": "abc123", "user": "bob"}')).toBe(`{"apiKey": "${M}", "user": "bob"}`);
    expect(maskLines("token='t0k3n'&next=1")).toBe(`token='${M}'&next=1`);
    expect(maskLines('GET /cb?access_token=xyz&state=1')).toBe(`GET /cb?access_token=${M}&state=1`);
    expect(maskLines('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${M}`);
    expect(maskLines('password: ""')).toBe('password: ""');
  });

  it('masks a private key spanning lines, keeping the header, footer and line breaks', () => {
    const log = [
      'loading key',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEA1234',
      'abcdEFGH5678',
      '-----END RSA PRIVATE KEY-----',
      'done',
    ].join('\n');
    expect(maskLines(log)).toBe(
      ['loading key', '-----BEGIN RSA PRIVATE KEY-----', M, M, '-----END RSA PRIVATE KEY-----', 'done'].join(
        '\n',
      ),
    );
  });

  it('keeps a --timestamps prefix on masked key lines', () => {
    const log = [
      '2024-05-01T10:00:00.123456789Z -----BEGIN PRIVATE KEY-----',
      '2024-05-01T10:00:00.123456789Z MIIEvQIBADANBg',
      '2024-05-01T10:00:00.123456789Z -----END PRIVATE KEY-----',
    ].join('\n');
    expect(maskLines(log).split('\n')[1]).toBe(`2024-05-01T10:00:00.123456789Z ${M}`);
  });

  it('masks a private key escaped onto one line', () => {
    const line = '{"key":"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n"}';
    expect(maskLines(line)).toBe(
      `{"key":"-----BEGIN EC PRIVATE KEY-----${M}-----END EC PRIVATE KEY-----\\n"}`,
    );
  });

  it('masks key material after a header on the same line, and stops after MAX_PEM_LINES', () => {
    const m = masker();
    expect(m.maskLine('key: -----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXk')).toBe(
      `key: -----BEGIN OPENSSH PRIVATE KEY-----${M}`,
    );
    for (let i = 0; i < MAX_PEM_LINES; i++) expect(m.maskLine('AAAA')).toBe(M);
    expect(m.maskLine('plain text again')).toBe('plain text again');
  });

  it('masks literal values (Secret values seen in the session), also per line of a multi-line value', () => {
    const m = masker(['correct-horse', 'line-one\nline-two', 'ab'], new Set());
    expect(m.maskLine('user pass is correct-horse!')).toBe(`user pass is ${M}!`);
    expect(m.maskLine('cert: line-two')).toBe(`cert: ${M}`);
    expect(m.maskLine('ab stays: too short to mask')).toBe('ab stays: too short to mask');
    expect(m.count).toBe(2);
  });

  it('runs only the detectors the policy lists', () => {
    const m = masker([], new Set(['jwt']));
    expect(m.maskLine(`password=x ${JWT}`)).toBe(`password=x ${M}`);
  });

  it('leaves ordinary lines byte-identical and counts nothing', () => {
    const m = masker(['literal-value']);
    const line = 'GET /healthz 200 1.2ms user=alice keyboard=qwerty';
    expect(m.maskLine(line)).toBe(line);
    expect(m.count).toBe(0);
  });

  it('takes time linear in the line, whatever a container writes (no regex backtracking blow-up)', () => {
    const m = masker(['correct-horse']);
    const hostile = [
      'a'.repeat(65536),
      'password'.repeat(8192),
      'eyJ-'.repeat(16384),
      `${'ab1'.repeat(100)} `.repeat(200),
      `-----BEGIN PRIVATE KEY-----${'A'.repeat(60000)}`,
      'password="'.repeat(6000),
      '-----BEGIN PRIVATE KEY-----'.repeat(2000),
    ];
    const started = performance.now();
    for (const line of hostile) m.maskLine(line);
    // Quadratic behaviour takes seconds per line here; linear takes milliseconds.
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
