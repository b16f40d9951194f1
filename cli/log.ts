import { type Logger, pino } from 'pino';
import { serializeLinesAtOnce } from './log-line.ts';
import { redactLogObject } from './log-redaction.ts';

/**
 * Lines are written to stdout once this many bytes wait, at the latest after {@link FLUSH_MS}.
 * 16 KB, not 4: a write to a pipe wakes its reader, and on a 2-core machine one 16 KB write cost
 * 0.3–0.5 µs per 500-byte line against 0.7–0.8 for four of 4 KB (docs/performance.md, tenth round).
 */
export const LOG_BATCH_BYTES = 16 * 1024;
export const FLUSH_MS = 100;

/**
 * The process logger: pino JSON on stdout. Redaction (log-redaction.ts) is a second line of
 * defence; the first is that no code path logs headers or tokens at all.
 *
 * Lines are written in batches: one request is one line, and one write(2) per line cost the
 * gateway ~6 % of its CPU per small request (docs/performance.md). A line waits at most
 * {@link FLUSH_MS}, and whatever waits is written when the process exits (also on a fatal error);
 * only a process killed outright (SIGKILL, out of memory) loses the last batch.
 *
 * The batch is gathered as bytes (sonic-boom's `contentMode: 'buffer'`), each line encoded once
 * as it comes. Gathered as a string, sonic-boom measures the whole batch's UTF-8 length at every
 * line, which copies it: 7.8 KB of garbage per line with 4 KB batches, 14 KB with 16 KB ones,
 * 5.4 KB as bytes (pino's own share) whatever the batch size.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const stdout = pino.destination({
    dest: 1,
    sync: true,
    contentMode: 'buffer',
    minLength: LOG_BATCH_BYTES,
    // sonic-boom requires minLength below maxWrite (16 KB by default); a longer line is written whole.
    maxWrite: 4 * LOG_BATCH_BYTES,
    periodicFlush: FLUSH_MS,
  });
  process.once('exit', () => {
    try {
      stdout.flushSync();
    } catch {
      // stdout is gone (a closed pipe): nothing left to write to.
    }
  });
  // sonic-boom's types say `write(string)`; in buffer mode it takes bytes. Looked up at each call:
  // pino replaces the destination's `write` with a no-op once stdout is a broken pipe.
  const bytesOut = stdout as unknown as { write(bytes: Buffer): boolean };
  const lines = {
    write: (line: string) => bytesOut.write(Buffer.from(line)),
    flush: (done?: (error?: Error) => void) => stdout.flush(done),
    flushSync: () => stdout.flushSync(), // pino calls it after a fatal line
  };
  const logger = pino(
    {
      name: options.name ?? 'hoop-gateway',
      level: options.level ?? process.env['HOOP_LOG_LEVEL'] ?? 'info',
      // Errors are logged as their message (and their cause's), never as a stack trace: log lines are
      // read by operators, and a stack says nothing to them that the message does not.
      serializers: { err: errorLine },
      // The second line of defence against a credential in a line (log-redaction.ts).
      formatters: { log: redactLogObject },
    },
    lines,
  );
  serializeLinesAtOnce(logger);
  return logger;
}

/** An error as one readable line: its message, then its causes' messages. */
export function errorLine(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const parts = [error.message];
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (!error.message.includes(cause.message)) parts.push(`caused by: ${cause.message}`);
    cause = cause.cause;
  }
  return parts.join('; ');
}

export type { Logger };
