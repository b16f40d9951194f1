import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from 'pino';

/**
 * Bolt's and the Web API client's logger, backed by the bot's pino logger. Kept at `warn`
 * whatever the caller asks: at `debug` the Slack SDK logs request bodies and headers, and the
 * bot must never put a token, a signing secret or an approver's reason in a log.
 */
export function slackLogger(logger: Logger | undefined): SlackLogger {
  const child = logger?.child({ component: 'slack-sdk' });
  const write =
    (level: 'warn' | 'error') =>
    (...messages: unknown[]): void => {
      child?.[level](messages.map((m) => (m instanceof Error ? m.message : String(m))).join(' '));
    };
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: write('warn'),
    error: write('error'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}
