import { type Logger, pino } from 'pino';

/**
 * A real pino logger whose JSON lines land in an array, so a test can read what the gateway
 * logged (and what it did not: tokens, headers) without a file or a child process.
 */
export interface MemoryLogger {
  logger: Logger;
  /** Every line logged so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Every line as written, for "this text appears nowhere" checks. */
  text(): string;
}

export function memoryLogger(): MemoryLogger {
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void raw.push(line) });
  return {
    logger,
    get lines() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
