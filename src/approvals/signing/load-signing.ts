import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SigningSettings } from '../../config/approvals.ts';
import {
  createDecisionSigner,
  createKeyring,
  type DecisionKeyring,
  type DecisionSigner,
  generateDecisionKeyPair,
  readPrivateKey,
  readPublicKey,
  type SignerRole,
} from './decision-keys.ts';

/**
 * The gateway's signing material at start-up: its own signer (the approvals API and `autoApprove`
 * sign with it) and the keyring it verifies decisions with: its own public key, the bot's when
 * the same config holds the bot's private key (`serve --role all`), and every `trustedKeys` entry.
 *
 * Without `signing.privateKey` a key is generated once under `<dataDir>/keys/gateway.key` (0600)
 * and reused: enough for one gateway process; replicas must share one key from a Secret, or each
 * would refuse the others' decisions (docs/deploy.md).
 */
export interface GatewaySigning {
  signer: DecisionSigner;
  keyring: DecisionKeyring;
  /** True when the key was generated under dataDir (a log line says so). */
  generated: boolean;
}

export async function loadGatewaySigning(
  settings: SigningSettings,
  dataDir: string,
): Promise<GatewaySigning> {
  let generated = false;
  let source = settings.privateKey;
  if (source === undefined) {
    const local = await localGatewayKey(dataDir);
    source = local.pem;
    generated = local.created;
  }
  const privateKey = await readPrivateKey(source, 'approvals.signing.privateKey');
  const signer = createDecisionSigner(privateKey, 'gateway');
  const entries: Array<{ publicKey: KeyObject; role: SignerRole }> = [
    { publicKey: createPublicKey(privateKey), role: 'gateway' },
  ];
  if (settings.botPrivateKey !== undefined) {
    const bot = await readPrivateKey(settings.botPrivateKey, 'approvals.signing.botPrivateKey');
    entries.push({ publicKey: createPublicKey(bot), role: 'bot' });
  }
  if (settings.consolePrivateKey !== undefined) {
    const console = await readPrivateKey(settings.consolePrivateKey, 'approvals.signing.consolePrivateKey');
    entries.push({ publicKey: createPublicKey(console), role: 'console' });
  }
  for (const [index, trusted] of settings.trustedKeys.entries()) {
    const publicKey = await readPublicKey(
      trusted.publicKey,
      `approvals.signing.trustedKeys[${index}].publicKey`,
    );
    entries.push({ publicKey, role: trusted.role });
  }
  return { signer, keyring: createKeyring(entries), generated };
}

/**
 * The public keys a component that shows decisions verifies them with (the web console run on its
 * own): the public halves of the private keys the config holds (the gateway's, or the one
 * generated under dataDir), and every `trustedKeys` entry.
 */
export async function loadVerifyingKeyring(
  settings: SigningSettings,
  dataDir: string,
): Promise<DecisionKeyring> {
  const entries: Array<{ publicKey: KeyObject; role: SignerRole }> = [];
  const gateway =
    settings.privateKey ??
    (await readFile(join(dataDir, 'keys', 'gateway.key'), 'utf8').catch(() => undefined));
  const privates: Array<[string | undefined, SignerRole, string]> = [
    [gateway, 'gateway', 'approvals.signing.privateKey'],
    [settings.botPrivateKey, 'bot', 'approvals.signing.botPrivateKey'],
    [settings.consolePrivateKey, 'console', 'approvals.signing.consolePrivateKey'],
  ];
  for (const [source, role, field] of privates) {
    if (source !== undefined)
      entries.push({ publicKey: createPublicKey(await readPrivateKey(source, field)), role });
  }
  for (const [index, trusted] of settings.trustedKeys.entries()) {
    const publicKey = await readPublicKey(
      trusted.publicKey,
      `approvals.signing.trustedKeys[${index}].publicKey`,
    );
    entries.push({ publicKey, role: trusted.role });
  }
  return createKeyring(entries);
}

/** The bot's signer; a bot without a key would record decisions no gateway forwards on. */
export async function loadBotSigner(settings: SigningSettings): Promise<DecisionSigner | undefined> {
  if (settings.botPrivateKey === undefined) return undefined;
  return createDecisionSigner(
    await readPrivateKey(settings.botPrivateKey, 'approvals.signing.botPrivateKey'),
    'bot',
  );
}

/** The web console's signer, when the config holds its private key. */
export async function loadConsoleSigner(settings: SigningSettings): Promise<DecisionSigner | undefined> {
  if (settings.consolePrivateKey === undefined) return undefined;
  return createDecisionSigner(
    await readPrivateKey(settings.consolePrivateKey, 'approvals.signing.consolePrivateKey'),
    'console',
  );
}

/**
 * A key generated once under `<dataDir>/keys/<name>.key` (0600) and reused: for components that
 * run in one process with the gateway that trusts them (`serve --role all`, the demo).
 */
export async function localKeyFile(dataDir: string, name: 'gateway' | 'console'): Promise<string> {
  const file = join(dataDir, 'keys', `${name}.key`);
  await localKey(dataDir, name);
  return file;
}

async function localGatewayKey(dataDir: string): Promise<{ pem: string; created: boolean }> {
  return localKey(dataDir, 'gateway');
}

async function localKey(dataDir: string, name: string): Promise<{ pem: string; created: boolean }> {
  const dir = join(dataDir, 'keys');
  const file = join(dir, `${name}.key`);
  try {
    return { pem: await readFile(file, 'utf8'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = generateDecisionKeyPair();
  try {
    await writeFile(file, pair.privatePem, { mode: 0o600, flag: 'wx' });
    await writeFile(join(dir, `${name}.pub`), pair.publicPem, { mode: 0o644 });
    return { pem: pair.privatePem, created: true };
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { pem: await readFile(file, 'utf8'), created: false };
    throw error;
  }
}
