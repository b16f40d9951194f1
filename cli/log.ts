import { type Logger, pino } from 'pino';

/**
 * The process logger: pino JSON on stdout. Redaction is a second line of defence; the first is that
 * no code path logs headers or tokens at all.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'hoop-gateway',
    level: options.level ?? process.env['HOOP_LOG_LEVEL'] ?? 'info',
    // Errors are logged as their message (and their cause's), never as a stack trace: log lines are
    // read by operators, and a stack says nothing to them that the message does not.
    serializers: { err: errorLine },
    redact: {
      paths: [
        'authorization',
        '*.authorization',
        '*.headers.authorization',
        'token',
        '*.token',
        'req.headers.authorization',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
  });
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
