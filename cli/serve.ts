import { type RunningBot, startBot } from '../bot/main.ts';
import { type RunningGateway, startGateway } from '../gateway/main.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { createLogger } from './log.ts';

const HELP = `usage: hoop-gateway serve --config hoop.yaml [--role all|gateway|bot]

Runs the gateway from a YAML config file. Secrets can come from the environment: any \${NAME} in
the file is replaced by the environment variable NAME.

--role all      the gateway and, when the config has a slack: or teams: section, the approval
                bot for those platforms (default)
--role gateway  the gateway only (run the bot elsewhere on the same Redis)
--role bot      the approval bot only (needs slack: and/or teams:, and the same approvals: Redis
                as the gateways)
`;

const ROLES = ['all', 'gateway', 'bot'] as const;
type Role = (typeof ROLES)[number];

/** Resolves when the process is asked to stop. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      config: { type: 'string', short: 'c' },
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.config) throw new UsageError('serve needs --config <file>');
  const role = (values.role ?? 'all') as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const config = await loadConfigFile(values.config);
  if (role === 'bot' && !config.slack && !config.teams)
    throw new UsageError('--role bot needs a slack: or teams: section in the config');
  const logger = createLogger({ level: config.log.level });
  let gateway: RunningGateway | undefined;
  let bot: RunningBot | undefined;
  if (role !== 'bot') {
    gateway = await startGateway(config, logger);
    logger.info({ url: gateway.url, clusters: config.clusters.map((c) => c.name) }, 'gateway listening');
  }
  if (role !== 'gateway' && (config.slack || config.teams)) {
    bot = await startBot({
      slack: config.slack,
      teams: config.teams,
      approvals: config.approvals,
      recording: config.recording.enabled ? config.recording : undefined,
      logger: logger.child({ component: 'bot' }),
    });
  }
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await bot?.close();
  await gateway?.close();
  return 0;
}
