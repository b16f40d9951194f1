import { createPrivateKey } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createDecisionSigner,
  type DecisionSigner,
  generateDecisionKeyPair,
  type SignerRole,
} from '../../src/approvals/signing/decision-keys.ts';

/**
 * Decision signing keys for tests: an in-memory signer of any role, and key files written the way
 * `hoop-gateway keys generate` writes them (for config files and the break-glass CLI).
 */
export function testSigner(role: SignerRole): DecisionSigner {
  return createDecisionSigner(createPrivateKey(generateDecisionKeyPair().privatePem), role);
}

export interface KeyFiles {
  keyFile: string;
  pubFile: string;
  signer: DecisionSigner;
}

export async function writeKeyPair(dir: string, name: string, role: SignerRole): Promise<KeyFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = generateDecisionKeyPair();
  const keyFile = join(dir, `${name}.key`);
  const pubFile = join(dir, `${name}.pub`);
  await writeFile(keyFile, pair.privatePem, { mode: 0o600 });
  await writeFile(pubFile, pair.publicPem);
  return { keyFile, pubFile, signer: createDecisionSigner(createPrivateKey(pair.privatePem), role) };
}
