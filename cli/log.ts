import { type Logger, pino } from 'pino';

/**
 * The process logger: pino JSON on stdout. Redaction is a second line of defence; the first is that
 * no code path logs headers or tokens at all.
 *
 * stdout is written asynchronously (sonic-boom with `sync: false`): a line goes out as soon as the
 * previous write finished, and lines logged meanwhile go out together in one write. The gateway
 * logs one line per request, and a synchronous write(2) per line was a visible share of its CPU
 * per request under load. pino flushes what is pending synchronously when the process exits.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'hoop-gateway',
      level: options.level ?? process.env['HOOP_LOG_LEVEL'] ?? 'info',
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
    },
    pino.destination({ dest: 1, sync: false }),
  );
}

export type { Logger };
