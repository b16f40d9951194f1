/**
 * The logger's redaction (cli/log-redaction.ts) must censor exactly what pino's own `redact`
 * option censored with the paths it replaced, and never change the object it was given. Checked
 * line for line against pino's `redact` as the oracle, on generated log objects that put the
 * credential keys at every depth, in arrays, and under `headers` and `req`.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { CENSOR, redactLogObject } from '../../cli/log-redaction.ts';
import { logObjects } from '../support/log-objects.ts';

const ORACLE_PATHS = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
];

function lineOf(options: pino.LoggerOptions, object: Record<string, unknown>): string {
  const lines: string[] = [];
  const logger = pino(
    { ...options, base: null, timestamp: false },
    { write: (line: string) => void lines.push(line) },
  );
  logger.info(object, 'm');
  return lines[0]!;
}

const key = fc.constantFrom(
  'authorization',
  'token',
  'headers',
  'req',
  'cookie',
  'context',
  'subject',
  'x',
  'Token',
);
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
const logObject = logObjects({ key, leaf, maxKeys: 6 });

describe('log redaction', () => {
  it('censors exactly what pino redact censored, and leaves the logged object as it was', () => {
    fc.assert(
      fc.property(logObject, (object) => {
        const before = structuredClone(object);
        const expected = lineOf({ redact: { paths: ORACLE_PATHS, censor: CENSOR } }, structuredClone(object));
        expect(lineOf({ formatters: { log: redactLogObject } }, object)).toBe(expected);
        expect(object).toEqual(before);
      }),
      { numRuns: 3000 },
    );
  });

  it('a request line with a token among the caller context claims and in headers', () => {
    const line = JSON.parse(
      lineOf(
        { formatters: { log: redactLogObject } },
        {
          subject: 'ci:deploy',
          context: { repository: 'acme/api', token: 'ghs_secret' },
          req: { headers: { authorization: 'Bearer abc', cookie: 'session=1', accept: '*/*' } },
          token: 'eyJ.secret',
        },
      ),
    ) as Record<string, unknown>;
    expect(line).toMatchObject({
      subject: 'ci:deploy',
      context: { repository: 'acme/api', token: CENSOR },
      req: { headers: { authorization: CENSOR, cookie: CENSOR, accept: '*/*' } },
      token: CENSOR,
    });
    expect(JSON.stringify(line)).not.toMatch(/ghs_secret|Bearer abc|session=1|eyJ\.secret/);
  });
});
