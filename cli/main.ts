/**
 * The `hoop-gateway` command line (bin/hoop-gateway.ts is its entry point): dispatches to one
 * module per subcommand under cli/. Each exports
 * `run(args)` and resolves to an exit code. Errors a person caused (bad flags, broken config) are
 * printed as one readable line, never a stack trace.
 */

import { ConfigError } from '../src/errors.ts';
import { UsageError } from './args.ts';

type Command = { summary: string; load: () => Promise<{ run: (args: string[]) => Promise<number> }> };

const commands: Record<string, Command> = {
  serve: { summary: 'run the gateway from a config file', load: () => import('./serve.ts') },
  demo: {
    summary: 'start sandbox cluster, OpenID issuer and gateway locally',
    load: () => import('./demo.ts'),
  },
  sandbox: {
    summary: 'run the in-memory sandbox Kubernetes API server',
    load: () => import('./sandbox.ts'),
  },
  policy: { summary: 'check a policy file or explain a decision', load: () => import('./policy.ts') },
  login: {
    summary: 'sign in (as a person) to approve and reject held requests',
    load: () => import('./login.ts'),
  },
  reviews: {
    summary: 'list, show, approve or reject held requests (after login)',
    load: () => import('./reviews.ts'),
  },
  keys: {
    summary: 'generate Ed25519 key pairs for signing decisions',
    load: () => import('./keys.ts'),
  },
  sessions: {
    summary: 'list, show, replay, verify or export recorded sessions',
    load: () => import('./sessions.ts'),
  },
  token: {
    summary: 'kubectl exec credential plugin: fetch an OIDC token',
    load: () => import('./token.ts'),
  },
  kubeconfig: {
    summary: 'write a kubeconfig for a CI job or pod that uses its own ID token',
    load: () => import('./kubeconfig.ts'),
  },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: hoop-gateway <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`hoop-gateway: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const module = await command.load().catch((error: unknown) => {
    throw sandboxMissing(error) ?? error;
  });
  return module.run(rest);
}

/**
 * `demo` and `sandbox` load the sandbox package (test and demo equipment), which the production
 * image and the published package leave out: say so instead of printing a module-resolution error.
 */
function sandboxMissing(error: unknown): Error | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : '';
  if (code !== 'ERR_MODULE_NOT_FOUND' || !message.includes('@hoop-gateway/sandbox')) return undefined;
  return new ConfigError(
    'sandbox',
    'this command needs the sandbox package (@hoop-gateway/sandbox), which only a development ' +
      'checkout has: run it from a clone of the repository after `npm ci`',
  );
}

/** Runs the command line and resolves to the process's exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const known = error instanceof ConfigError || error instanceof UsageError;
    process.stderr.write(`hoop-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!known && process.env['HOOP_DEBUG']) process.stderr.write(`${(error as Error).stack}\n`);
    return known ? 2 : 1;
  }
}
