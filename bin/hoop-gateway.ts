#!/usr/bin/env node
/**
 * Entry point of the `hoop-gateway` command. It checks the Node.js version before loading
 * anything else, so an older Node prints one line instead of a stack trace from deep inside a
 * module it cannot run, then hands over to the command line (cli/main.ts).
 */
const REQUIRED = [22, 19] as const; // undici, which forwards requests upstream, needs 22.19
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < REQUIRED[0] || (major === REQUIRED[0] && minor < REQUIRED[1])) {
  process.stderr.write(
    `hoop-gateway: needs Node.js ${REQUIRED.join('.')} or later (24 recommended); this is ${process.versions.node}\n`,
  );
  process.exit(2);
}
const { runCli } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
