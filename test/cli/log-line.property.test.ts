/**
 * The process logger serializes a line with one JSON.stringify (cli/log-line.ts) instead of
 * pino's own loop. The lines must be pino's, byte for byte: checked against pino's serializer as
 * the oracle, on generated log objects and messages, with createLogger's redaction and error
 * serializer, through child loggers, and for what is handed back to pino (errors, BigInt, cycles,
 * `toJSON`, messages that are not strings).
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errorLine } from '../../cli/log.ts';
import { serializeLinesAtOnce } from '../../cli/log-line.ts';
import { redactLogObject } from '../../cli/log-redaction.ts';
import { logObjects } from '../support/log-objects.ts';

/** Two loggers with createLogger's options and a fixed time: pino's serializer and the one under test. */
function loggers(options: pino.LoggerOptions = {}) {
  const lines = { pino: [] as string[], atOnce: [] as string[] };
  const make = (into: string[]) =>
    pino(
      {
        name: 'hoop-gateway',
        serializers: { err: errorLine },
        formatters: { log: redactLogObject },
        timestamp: () => ',"time":1796000000000',
        ...options,
      },
      { write: (line: string) => void into.push(line) },
    );
  const reference = make(lines.pino);
  const atOnce = make(lines.atOnce);
  const installed = serializeLinesAtOnce(atOnce);
  return { reference, atOnce, lines, installed };
}

// JSON.stringify writes a lone surrogate as an escape, pino as the raw code unit (which becomes
// U+FFFD once the line is encoded): the only place the two differ, so strings here are well formed.
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('"', '\\', '\n', '\u0000', '\u2028', 'é', '😀', 'x'.repeat(150), 'Bearer abc'),
);
const key = fc.oneof(
  fc.constantFrom('authorization', 'token', 'headers', 'req', 'cookie', 'msg', 'level', 'name', 'pid'),
  text,
);
const leaf = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(Number.NaN),
  fc.constant(-0),
  fc.constant(() => 1),
);
const logObject = logObjects({ key, leaf, maxKeys: 8 });
const message = fc.option(text, { nil: undefined });

describe('log lines serialized at once', () => {
  it('writes the line pino writes, for any log object and message', () => {
    const { reference, atOnce, lines, installed } = loggers();
    expect(installed).toBe(true);
    fc.assert(
      fc.property(logObject, message, (object, msg) => {
        reference.info(freshCopy(object), msg);
        atOnce.info(freshCopy(object), msg);
        expect(lines.atOnce.at(-1)).toBe(lines.pino.at(-1));
      }),
      { numRuns: 2000 },
    );
    expect(lines.atOnce.length).toBe(lines.pino.length);
  });

  it('censors credentials as pino did (the redaction still runs)', () => {
    const { atOnce, lines } = loggers();
    atOnce.info({ authorization: 'Bearer secret-one', context: { token: 'secret-two' } }, 'request');
    const line = lines.atOnce[0]!;
    expect(line).not.toContain('secret-one');
    expect(line).not.toContain('secret-two');
    expect(JSON.parse(line)).toMatchObject({
      authorization: '[redacted]',
      context: { token: '[redacted]' },
      msg: 'request',
    });
  });

  it('through a child logger, with its bindings, at every level', () => {
    const { reference, atOnce, lines } = loggers({ level: 'trace' });
    const children = [reference.child({ component: 'bot', n: 1 }), atOnce.child({ component: 'bot', n: 1 })];
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
      for (const child of children) child[level]({ requestId: 'r-1', status: 200 }, 'done');
    }
    expect(lines.atOnce).toEqual(lines.pino);
    expect(lines.atOnce[0]).toContain('"component":"bot"');
  });

  it('hands to pino what it would write differently: errors, BigInt, cycles, toJSON, other messages', () => {
    const { reference, atOnce, lines } = loggers();
    const cycle: Record<string, unknown> = { a: 1 };
    cycle['self'] = cycle;
    const cases: Array<[unknown, unknown]> = [
      [{ err: new Error('boom', { cause: new Error('below') }) }, 'failed'],
      [new Error('thrown alone'), undefined],
      [{ n: 10n }, 'big'],
      [cycle, 'cycle'],
      [{ toJSON: () => ({ replaced: true }), kept: 1 }, 'toJSON'],
      [{ a: 1 }, 42],
      [{ a: 1 }, { nested: 'message' }],
      [{ a: 1 }, null],
      [{ a: 1 }, () => 'a function'],
      [{ a: 1 }, 5n],
    ];
    for (const [object, msg] of cases) {
      reference.info(object as object, msg as string);
      atOnce.info(object as object, msg as string);
    }
    expect(lines.atOnce).toEqual(lines.pino);
    expect(lines.atOnce[0]).toContain('"err":"boom; caused by: below"');
  });

  it('leaves a logger alone whose fields pino serializes one by one', () => {
    expect(loggers({ redact: ['secret'] }).installed).toBe(false);
    expect(loggers({ serializers: { req: () => 'r' } }).installed).toBe(false);
    expect(loggers({ nestedKey: 'payload' }).installed).toBe(false);
  });
});

/** A fresh copy of a generated value per logger (functions kept), so neither sees the other's changes. */
function freshCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(freshCopy) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = freshCopy(v);
    return out as T;
  }
  return value;
}
