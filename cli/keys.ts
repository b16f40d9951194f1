import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { generateDecisionKeyPair } from '../src/approvals/signing/decision-keys.ts';
import { parseCommandArgs, UsageError } from './args.ts';

/**
 * `hoop-gateway keys generate --name NAME [--out DIR]`: a new Ed25519 key pair for signing
 * decisions, one per deciding component (gateway, bot, console, break-glass). Writes NAME.key (the private
 * key, 0600: give it to that component only, e.g. as a Secret) and NAME.pub, and prints the key
 * id and the config lines that trust the public key. Never overwrites a file.
 */
const USAGE = `usage: hoop-gateway keys generate --name NAME [--out DIR] [--role gateway|bot|console|break-glass]

Creates DIR/NAME.key (private, mode 0600) and DIR/NAME.pub for signing approval decisions.
`;

const ROLES = ['gateway', 'bot', 'console', 'break-glass'];

export async function run(
  args: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    out(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'generate') throw new UsageError(`unknown keys subcommand "${sub}"\n\n${USAGE}`);
  const { values } = parseCommandArgs(
    rest,
    {
      name: { type: 'string' },
      out: { type: 'string', default: '.' },
      role: { type: 'string', default: 'gateway' },
    },
    false,
  );
  if (!values.name || !/^[A-Za-z0-9_.-]+$/.test(values.name))
    throw new UsageError('--name must be letters, digits, "_-."');
  if (!ROLES.includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  const dir = resolve(values.out);
  const keyFile = join(dir, `${values.name}.key`);
  const pubFile = join(dir, `${values.name}.pub`);
  for (const file of [keyFile, pubFile]) {
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      throw new UsageError(`${file} exists; not overwriting it`);
  }
  await mkdir(dir, { recursive: true });
  const pair = generateDecisionKeyPair();
  await writeFile(keyFile, pair.privatePem, { mode: 0o600, flag: 'wx' });
  await writeFile(pubFile, pair.publicPem, { mode: 0o644, flag: 'wx' });
  const field =
    values.role === 'gateway'
      ? 'privateKey'
      : values.role === 'bot'
        ? 'botPrivateKey'
        : values.role === 'console'
          ? 'consolePrivateKey'
          : undefined;
  out(
    [
      `key id ${pair.keyId}`,
      `private key: ${keyFile} (mode 0600; give it to the ${values.role} only)`,
      `public key:  ${pubFile}`,
      '',
      'Trust it in the gateway config:',
      '  approvals:',
      '    signing:',
      '      trustedKeys:',
      `        - { publicKey: ${pubFile}, role: ${values.role} }`,
      ...(field
        ? ['and give the private key to that component:', `      ${field}: ${keyFile}`]
        : ['and keep the private key offline: `hoop-gateway reviews approve ID --break-glass KEYFILE …`']),
      '',
    ].join('\n'),
  );
  return 0;
}
