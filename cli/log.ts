import { type Logger, pino } from 'pino';

/**
 * The process logger: pino JSON on stdout. Redaction is a second line of defence; the first is that
 * no code path logs headers or tokens at all.
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
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
  });
}

export type { Logger };
