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
  for (const [index, trusted] of settings.trustedKeys.entries()) {
    const publicKey = await readPublicKey(
      trusted.publicKey,
      `approvals.signing.trustedKeys[${index}].publicKey`,
    );
    entries.push({ publicKey, role: trusted.role });
  }
  return { signer, keyring: createKeyring(entries), generated };
}

/** The bot's signer; a bot without a key would record decisions no gateway forwards on. */
export async function loadBotSigner(settings: SigningSettings): Promise<DecisionSigner | undefined> {
  if (settings.botPrivateKey === undefined) return undefined;
  return createDecisionSigner(
    await readPrivateKey(settings.botPrivateKey, 'approvals.signing.botPrivateKey'),
    'bot',
  );
}

async function localGatewayKey(dataDir: string): Promise<{ pem: string; created: boolean }> {
  const dir = join(dataDir, 'keys');
  const file = join(dir, 'gateway.key');
  try {
    return { pem: await readFile(file, 'utf8'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = generateDecisionKeyPair();
  try {
    await writeFile(file, pair.privatePem, { mode: 0o600, flag: 'wx' });
    await writeFile(join(dir, 'gateway.pub'), pair.publicPem, { mode: 0o644 });
    return { pem: pair.privatePem, created: true };
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { pem: await readFile(file, 'utf8'), created: false };
    throw error;
  }
}
