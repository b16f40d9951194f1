/**
 * The logger handed to the Teams SDK's classes: silent. Without one they log to the console on
 * their own (outside the bot's pino log, with JWT validation details); the bot logs what matters
 * itself (a refused activity, a failed post) without token material.
 */
const noop = (): undefined => undefined;

// biome-ignore lint/suspicious/noExplicitAny: the SDK's ILogger type lives in a package the bot does not depend on
export const silentSdkLogger: any = {
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  log: noop,
  trace: noop,
  child: () => silentSdkLogger,
};
