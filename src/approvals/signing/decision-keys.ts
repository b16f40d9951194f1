import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.ts';
import type { DecisionVia } from '../review.types.ts';

/**
 * The Ed25519 keys decisions are signed with. Each deciding component has its own key pair: the
 * gateway (its approvals API and `autoApprove`), the chat bot, the web console, and the
 * operators' break-glass key. Private keys live in files or the environment of that component only, never in Redis;
 * the gateway holds the public keys and accepts a decision only under a key whose role may make
 * it (a bot key cannot sign a break-glass decision, for example).
 *
 * A key id is derived from the public key (SHA-256 of its SPKI DER, 16 base64url characters), so
 * an id can never name the wrong key, and rotating is "add the new public key, switch the private
 * key, remove the old public key later" (docs/approvals.md).
 */

export type SignerRole = 'gateway' | 'bot' | 'break-glass' | 'console';

/** Which decision sources (`via`) each role may sign. */
export const ROLE_VIAS: Readonly<Record<SignerRole, readonly DecisionVia[]>> = {
  gateway: ['api', 'auto'],
  bot: ['slack', 'teams'],
  'break-glass': ['break-glass'],
  console: ['console'],
};

export const SIGNER_ROLES: readonly SignerRole[] = ['gateway', 'bot', 'break-glass', 'console'];

/** Signs the canonical bytes of decisions; holds the private key in a closure, never in a field. */
export interface DecisionSigner {
  readonly keyId: string;
  readonly role: SignerRole;
  /** base64url Ed25519 signature of `payload` (UTF-8). */
  sign(payload: string): string;
}

/** The public keys a verifier accepts, by key id. */
export type DecisionKeyring = ReadonlyMap<string, { publicKey: KeyObject; role: SignerRole }>;

/** `k-` and 16 base64url characters of the SHA-256 of the public key's SPKI DER. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `k-${createHash('sha256').update(der).digest('base64url').slice(0, 16)}`;
}

export function createDecisionSigner(privateKey: KeyObject, role: SignerRole): DecisionSigner {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TypeError('a decision signer needs an Ed25519 private key');
  }
  const keyId = keyIdOf(privateKey);
  return {
    keyId,
    role,
    sign: (payload) => sign(null, Buffer.from(payload, 'utf8'), privateKey).toString('base64url'),
  };
}

/** A new key pair as PEM (PKCS#8 private, SPKI public) and its key id. */
export function generateDecisionKeyPair(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/**
 * A private key from `source`: the PEM itself (e.g. `${HOOP_SIGNING_KEY}` expanded from the
 * environment) or a path to a PEM file. `field` names the config field in errors, which never
 * quote the key.
 */
export async function readPrivateKey(source: string, field: string): Promise<KeyObject> {
  const pem = await pemOf(source, field);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError(field, 'not a PEM private key (create one with `hoop-gateway keys generate`)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(field, 'not an Ed25519 key');
  return key;
}

/** A public key from a PEM or a PEM file, as {@link readPrivateKey}. */
export async function readPublicKey(source: string, field: string): Promise<KeyObject> {
  const pem = await pemOf(source, field);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new ConfigError(field, 'not a PEM public key (create one with `hoop-gateway keys generate`)');
  }
  if (key.type !== 'public') throw new ConfigError(field, 'a private key where a public key belongs');
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(field, 'not an Ed25519 key');
  return key;
}

async function pemOf(source: string, field: string): Promise<string> {
  if (source.trimStart().startsWith('-----BEGIN')) return source;
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new ConfigError(
      field,
      `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** A keyring of `entries`; a key listed twice keeps its first role. */
export function createKeyring(entries: Array<{ publicKey: KeyObject; role: SignerRole }>): DecisionKeyring {
  const ring = new Map<string, { publicKey: KeyObject; role: SignerRole }>();
  for (const entry of entries) {
    const id = keyIdOf(entry.publicKey);
    if (!ring.has(id)) ring.set(id, entry);
  }
  return ring;
}
