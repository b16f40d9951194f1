import { type Logger, pino } from 'pino';

const {
  asJsonSym,
  lsCacheSym,
  chindingsSym,
  endSym,
  errorKeySym,
  formattersSym,
  messageKeySym,
  nestedKeySym,
  serializersSym,
  stringifiersSym,
} = pino.symbols;

type LineSerializer = (obj: Record<string, unknown>, msg: unknown, level: number, time: string) => string;
type PinoInternals = Record<symbol, unknown>;
type LogFormatter = (obj: Record<string, unknown>) => Record<string, unknown>;

/**
 * Makes `logger` serialize each line with one `JSON.stringify` of the (redacted) log object
 * instead of pino's loop, which quotes every value on its own and runs objects and arrays through
 * a second, cycle-safe stringifier: pino's loop was ~6 % of the gateway's CPU per small request,
 * where its log line is one of ~25 fields (docs/performance.md, twenty-fourth round).
 *
 * The line is pino's, byte for byte (test/cli/log-line.property.test.ts checks it against pino's
 * own serializer): its level and time, the logger's bindings, the object's fields after the
 * logger's `formatters.log` (createLogger's redaction), then the message. What
 * `JSON.stringify` cannot take or would write differently goes to pino's loop, unchanged: an
 * object carrying an error (pino's error serializer), one with its own `toJSON`, a cycle or a
 * BigInt (`JSON.stringify` throws), a message that is not a string.
 *
 * A logger with a nested key, `redact` paths or a serializer for another field than the error is
 * left to pino (those apply to single fields, which this does not look at); returns whether it
 * was changed.
 */
export function serializeLinesAtOnce(logger: Logger): boolean {
  const internals = logger as unknown as PinoInternals;
  const errorKey = internals[errorKeySym] as string;
  const perField =
    internals[nestedKeySym] ||
    Object.keys(internals[stringifiersSym] as object).length > 0 ||
    Object.keys(internals[serializersSym] as object).some((key) => key !== errorKey);
  if (perField) return false;
  const pinoLine = internals[asJsonSym] as LineSerializer;
  const line: LineSerializer = function (this: PinoInternals, obj, msg, level, time) {
    if (
      (msg !== undefined && typeof msg !== 'string') ||
      Object.hasOwn(obj, errorKey) ||
      typeof obj['toJSON'] === 'function'
    ) {
      return pinoLine.call(this, obj, msg, level, time);
    }
    let fields: string;
    try {
      const format = (this[formattersSym] as { log?: LogFormatter }).log;
      fields = JSON.stringify(format ? format(obj) : obj);
    } catch {
      return pinoLine.call(this, obj, msg, level, time);
    }
    const head = (this[lsCacheSym] as Record<number, string>)[level]! + time + (this[chindingsSym] as string);
    const body = fields.length > 2 ? `,${fields.slice(1, -1)}` : '';
    const message = msg === undefined ? '' : `,"${this[messageKeySym] as string}":${JSON.stringify(msg)}`;
    return head + body + message + (this[endSym] as string);
  };
  internals[asJsonSym] = line;
  return true;
}
