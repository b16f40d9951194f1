import { collectDefaultMetrics, Registry } from 'prom-client';
import type { RunningBot } from '../bot/main.ts';
import type { PersonVerifier } from '../console/server/auth/sign-in.ts';
import type { RunningConsole } from '../console/server/main.ts';
import { type RunningGateway, startGateway } from '../gateway/main.ts';
import {
  loadBotSigner,
  loadConsoleSigner,
  loadVerifyingKeyring,
  localKeyFile,
} from '../src/approvals/signing/load-signing.ts';
import type { GatewayConfig } from '../src/config/load.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { ConfigError } from '../src/errors.ts';
import { settledWithin } from '../src/ops/bounded.ts';
import { createHealth } from '../src/ops/health.ts';
import { type OpsListener, startOpsListener } from '../src/ops/ops-listener.ts';
import { watchFiles } from '../src/ops/watch-files.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { createLogger, type Logger } from './log.ts';

const HELP = `usage: hoop-gateway serve --config hoop.yaml [--role all|gateway|bot|console]

Runs the gateway from a YAML config file. Secrets can come from the environment: any \${NAME} in
the file is replaced by the environment variable NAME.

--role all      the gateway and, when the config has a slack: or teams: section, the approval
                bot for those platforms, and, with a console: section, the web console (default)
--role gateway  the gateway only (run the bot elsewhere on the same Redis)
--role bot      the approval bot only (needs slack: and/or teams:, and the same approvals: Redis
                as the gateways)
--role console  the web console only (needs console:, authentication.people and
                approvals.signing.consolePrivateKey; reads the same Redis and recordings
                directory as the gateways; see docs/console.md)

Signals: SIGTERM/SIGINT stop within shutdown.gracePeriod (a second one stops at once);
SIGHUP reloads the policy, the issuers and the TLS certificate (so does editing those files).
`;

const ROLES = ['all', 'gateway', 'bot', 'console'] as const;
type Role = (typeof ROLES)[number];

/** Resolves when the process is asked to stop; a second request stops the process at once. */
export function untilSignal(onSecond: () => void = () => process.exit(130)): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let asked = false;
    const stop = (signal: NodeJS.Signals) => {
      if (asked) return onSecond();
      asked = true;
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * Reloads on SIGHUP and on changes to the files the gateway reads. A reload that fails (a broken
 * policy, a key that does not match its certificate) is refused with one log line and the running
 * configuration stays.
 */
function reloadOnChange(gateway: RunningGateway, logger: Logger): () => void {
  let running: Promise<void> | undefined;
  let again = false;
  const reload = (why: string): void => {
    if (running) {
      again = true;
      return;
    }
    running = gateway.reload().then((result) => {
      if (result.ok)
        logger.info({ trigger: why, rules: result.rules, tls: result.tls }, 'configuration reloaded');
      else
        logger.error(
          { trigger: why, error: result.error },
          'configuration reload refused; the running configuration stays',
        );
    });
    void running.finally(() => {
      running = undefined;
      if (again) {
        again = false;
        reload(why);
      }
    });
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const stopWatching = watchFiles(gateway.watchedFiles, () => reload('file change'));
  return () => {
    process.off('SIGHUP', onHup);
    stopWatching();
  };
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
  if (role === 'console' && !config.console)
    throw new UsageError('--role console needs a console: section in the config (docs/console.md)');
  // One process: the console signs with a key generated under dataDir, which the gateway trusts.
  if (role === 'all' && config.console && config.approvals.signing.consolePrivateKey === undefined)
    config.approvals.signing.consolePrivateKey = await localKeyFile(config.dataDir, 'console');
  const logger = createLogger({ level: config.log.level });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hoop_' });
  const health = createHealth();
  let gateway: RunningGateway | undefined;
  let bot: RunningBot | undefined;
  let consoleServer: RunningConsole | undefined;
  let ops: OpsListener | undefined;
  let stopReloading: (() => void) | undefined;
  try {
    if (role === 'all' || role === 'gateway') {
      gateway = await startGateway(config, logger, { registry, health });
      logger.info({ url: gateway.url, clusters: config.clusters.map((c) => c.name) }, 'gateway listening');
      logger.flush(); // at once: whoever started the gateway waits for this line
      stopReloading = reloadOnChange(gateway, logger);
    }
    if ((role === 'all' || role === 'console') && config.console) {
      consoleServer = await startConsoleFor(config, logger.child({ component: 'console' }));
      logger.info({ url: consoleServer.url, publicUrl: config.console.publicUrl }, 'console listening');
    }
    if ((role === 'all' || role === 'bot') && (config.slack || config.teams)) {
      const signer = await loadBotSigner(config.approvals.signing);
      if (!signer) {
        throw new ConfigError(
          'approvals.signing.botPrivateKey',
          'the approval bot needs its own signing key (create one with `hoop-gateway keys generate --name bot --role bot`); without it no gateway would act on its decisions',
        );
      }
      // Loaded only where it runs: the chat SDKs cost a gateway-only process ~30 MB of memory.
      const { startBot } = await import('../bot/main.ts');
      bot = await startBot({
        slack: config.slack,
        teams: config.teams,
        approvals: config.approvals,
        redis: config.redis,
        signer,
        recording: config.recording.enabled ? config.recording : undefined,
        consoleUrl: config.console?.publicUrl,
        logger: logger.child({ component: 'bot' }),
        registry,
        health,
      });
    }
    if (config.metrics) {
      ops = await startOpsListener(config.metrics, registry, health);
      logger.info({ url: `http://${config.metrics.host}:${ops.port}/metrics` }, 'metrics listening');
    }
  } catch (error) {
    // A part that started (a listener, Redis connections) would keep the process up, serving with
    // no signal handler: stop what started, and exit once the error is reported.
    stopReloading?.();
    await settledWithin(
      Promise.allSettled([gateway?.close(0), bot?.close(), consoleServer?.close(), ops?.close()]),
      2_000,
    );
    setImmediate(() => process.exit());
    throw error;
  }
  const signal = await untilSignal();
  const graceMs = config.shutdownGraceMs;
  logger.info({ signal, gracePeriodMs: graceMs }, 'shutting down');
  const deadline = Date.now() + graceMs;
  // A hard stop after the grace period, whatever still waits (a Redis that never answers).
  const hardStop = setTimeout(() => {
    logger.warn('shutdown: the grace period ended; exiting now');
    process.exit(1);
  }, graceMs + 500);
  hardStop.unref();
  health.draining = true;
  stopReloading?.();
  await Promise.all([
    gateway?.close(Math.max(0, deadline - Date.now() - 200)),
    settledWithin(bot?.close() ?? Promise.resolve(), Math.max(0, deadline - Date.now() - 200)),
    settledWithin(consoleServer?.close() ?? Promise.resolve(), Math.max(0, deadline - Date.now() - 200)),
  ]);
  await ops?.close();
  logger.info('stopped');
  // ioredis and BullMQ keep reconnecting to a Redis that is down even after their close() was
  // given up on, which would keep the process alive: everything worth finishing has finished.
  setImmediate(() => process.exit(0));
  return 0;
}

/** The web console of `config` (which has a console: section), composed with the gateway's people verifier. */
export async function startConsoleFor(
  config: GatewayConfig,
  logger: Logger,
  overrides: { verifier?: PersonVerifier } = {},
): Promise<RunningConsole> {
  const settings = config.console;
  const people = config.people;
  if (!settings || !people)
    throw new ConfigError('console', 'needs a console: section and authentication.people');
  const signer = await loadConsoleSigner(config.approvals.signing);
  if (!signer) {
    throw new ConfigError(
      'approvals.signing.consolePrivateKey',
      'the console needs its own signing key (create one with `hoop-gateway keys generate --name console --role console`, and trust its public key in the gateways with role console)',
    );
  }
  // Loaded only where it runs, like the bot.
  const [{ startConsole }, { consoleTls }, { createPeopleAuthenticator }] = await Promise.all([
    import('../console/server/main.ts'),
    import('../console/server/tls.ts'),
    import('../gateway/authn/people-authenticator.ts'),
  ]);
  const verifier = overrides.verifier ?? createPeopleAuthenticator(people);
  return startConsole({
    settings,
    people,
    recording: config.recording,
    approvals: config.approvals,
    redis: config.redis,
    tls: await consoleTls(settings, config.tls, config.dataDir, config.tlsHosts),
    signer,
    keyring: await loadVerifyingKeyring(config.approvals.signing, config.dataDir),
    verifier,
    logger,
  });
}
