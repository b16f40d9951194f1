import { startGateway } from '../gateway/main.ts';
import { parseCommandArgs, UsageError } from '../src/cli-args.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';

const HELP = `usage: hoop-gateway serve --config hoop.yaml

Runs the gateway from a YAML config file. Secrets can come from the environment: any \${NAME} in
the file is replaced by the environment variable NAME.
`;

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
    { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.config) throw new UsageError('serve needs --config <file>');
  const config = await loadConfigFile(values.config);
  const logger = createLogger({ level: config.log.level });
  const gateway = await startGateway(config, logger);
  logger.info({ url: gateway.url, clusters: config.clusters.map((c) => c.name) }, 'gateway listening');
  const signal = await untilSignal();
  logger.info({ signal }, 'shutting down');
  await gateway.close();
  return 0;
}
