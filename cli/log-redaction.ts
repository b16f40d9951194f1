/** What a redacted value is logged as. */
export const CENSOR = '[redacted]';

/** Keys whose values are credentials: censored at the top of a log object and one level down. */
const SECRET_KEYS = ['authorization', 'token'] as const;

type LogObject = Record<string, unknown>;

/**
 * The logger's second line of defence (the first: no code path logs headers or tokens): censors
 * `authorization` and `token` at the top of a log object and one level down, `headers.authorization`
 * one level down, and `req.headers.cookie`, the paths pino's `redact` option took before.
 *
 * Used as pino's `formatters.log` rather than `redact`: with paths that start with a wildcard, pino
 * runs its redaction on every value of every line, strings and numbers included, which cost the
 * gateway ~5 % of its CPU per request (one line each, ~25 fields). This looks only at the values
 * that are objects, and copies only what it censors: the caller's object is never changed.
 * test/cli/log-redaction.property.test.ts checks it against pino's `redact` on generated objects.
 */
export function redactLogObject(object: LogObject): LogObject {
  let copy: LogObject | undefined;
  for (const key of SECRET_KEYS) {
    if (Object.hasOwn(object, key)) {
      copy ??= { ...object };
      copy[key] = CENSOR;
    }
  }
  for (const key in object) {
    if (!Object.hasOwn(object, key) || (SECRET_KEYS as readonly string[]).includes(key)) continue;
    const value = object[key];
    if (typeof value !== 'object' || value === null) continue;
    const redacted = redactNested(value as LogObject, key === 'req');
    if (redacted !== value) {
      copy ??= { ...object };
      copy[key] = redacted;
    }
  }
  return copy ?? object;
}

/** One level down: the same keys, `headers.authorization`, and for `req` also `headers.cookie`. */
function redactNested(value: LogObject, isRequest: boolean): LogObject {
  let copy: LogObject | undefined;
  const own = () => (copy ??= shallowCopy(value));
  for (const key of SECRET_KEYS) if (Object.hasOwn(value, key)) own()[key] = CENSOR;
  const headers = Object.hasOwn(value, 'headers') ? value['headers'] : undefined;
  if (typeof headers === 'object' && headers !== null) {
    const names = isRequest ? ['authorization', 'cookie'] : ['authorization'];
    const found = names.filter((name) => Object.hasOwn(headers, name));
    if (found.length > 0) {
      const censored = shallowCopy(headers as LogObject);
      for (const name of found) censored[name] = CENSOR;
      own()['headers'] = censored;
    }
  }
  return copy ?? value;
}

/** A copy of an object or array, to censor without touching the caller's. */
function shallowCopy(value: LogObject): LogObject {
  return Array.isArray(value) ? (Object.assign([], value) as unknown as LogObject) : { ...value };
}
