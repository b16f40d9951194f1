import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGatewaySigning } from '../../src/approvals/signing/load-signing.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { writeKeyPair } from '../support/decision-keys.ts';

/**
 * The config that makes approvals unforgeable: `authentication.people` (its own audience),
 * `approvals.signing` (keys by file or PEM, roles) and `redis:` (TLS only with rediss://), each
 * refusing a dangerous setting at start-up with the field named.
 */
let dir: string;
const base = {
  authentication: { issuers: [{ issuer: 'https://idp.example.com', audience: 'https://hoop.example.com' }] },
  clusters: [{ name: 'local', inCluster: true }],
  policy: { default: 'deny', rules: [] },
  approvals: { redisUrl: 'redis://127.0.0.1:6379' },
};

async function load(extra: Record<string, unknown>) {
  const file = join(dir, `hoop-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify({ ...base, ...extra }));
  return loadConfigFile(file, {});
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('authentication.people', () => {
  it('is parsed with its defaults', async () => {
    const people = {
      issuer: 'https://idp.example.com',
      audience: 'https://hoop.example.com/approvals',
      clientId: 'cli',
    };
    const config = await load({ authentication: { ...base.authentication, people } });
    expect(config.people).toMatchObject({
      ...people,
      scopes: ['openid', 'email', 'profile', 'offline_access'],
      emailClaim: 'email',
    });
  });

  it('refuses an audience the agents also accept from the same issuer', async () => {
    const people = {
      issuer: 'https://idp.example.com',
      audience: 'https://hoop.example.com',
      clientId: 'cli',
    };
    await expect(load({ authentication: { ...base.authentication, people } })).rejects.toThrow(
      /authentication\.people\.audience: https:\/\/hoop\.example\.com is also an agents' audience/,
    );
  });
});

describe('approvals.signing', () => {
  it('loads keys from files, trusts public keys by role, and generates a gateway key once', async () => {
    const bot = await writeKeyPair(join(dir, 'keys'), 'bot', 'bot');
    const glass = await writeKeyPair(join(dir, 'keys'), 'glass', 'break-glass');
    const config = await load({
      approvals: {
        ...base.approvals,
        signing: {
          botPrivateKey: 'keys/bot.key',
          trustedKeys: [{ publicKey: 'keys/glass.pub', role: 'break-glass' }],
        },
      },
    });
    const first = await loadGatewaySigning(config.approvals.signing, join(dir, 'data'));
    expect(first.generated).toBe(true);
    expect(new Map([...first.keyring].map(([id, k]) => [id, k.role]))).toEqual(
      new Map([
        [first.signer.keyId, 'gateway'],
        [bot.signer.keyId, 'bot'],
        [glass.signer.keyId, 'break-glass'],
      ]),
    );
    const again = await loadGatewaySigning(config.approvals.signing, join(dir, 'data'));
    expect(again).toMatchObject({ generated: false, signer: { keyId: first.signer.keyId } });
  });

  it('names the field when a key is missing or not Ed25519', async () => {
    await writeFile(join(dir, 'not-a-key.pem'), 'hello');
    const missing = await load({ approvals: { ...base.approvals, signing: { privateKey: 'nope.key' } } });
    await expect(loadGatewaySigning(missing.approvals.signing, dir)).rejects.toThrow(
      /approvals\.signing\.privateKey: cannot read .*nope\.key: ENOENT/,
    );
    const garbage = await load({
      approvals: {
        ...base.approvals,
        signing: { trustedKeys: [{ publicKey: 'not-a-key.pem', role: 'bot' }] },
      },
    });
    await expect(loadGatewaySigning(garbage.approvals.signing, join(dir, 'data'))).rejects.toThrow(
      'approvals.signing.trustedKeys[0].publicKey: not a PEM public key',
    );
  });
});

describe('redis:', () => {
  it('refuses TLS settings with a redis:// URL, and reads the CA file', async () => {
    await writeFile(join(dir, 'ca.pem'), 'CA PEM');
    await expect(load({ redis: { tls: { ca: 'ca.pem' } } })).rejects.toThrow(
      /approvals\.redisUrl: redis\.tls is set, so this must be a rediss:\/\/ URL/,
    );
    const config = await load({
      approvals: { redisUrl: 'rediss://redis.internal:6380' },
      recording: { redisUrl: 'rediss://redis.internal:6380' },
      redis: {
        username: 'hoop-gateway',
        password: 'pw',
        tls: { ca: 'ca.pem', servername: 'redis.internal' },
      },
    });
    expect(config.redis).toEqual({
      username: 'hoop-gateway',
      password: 'pw',
      tls: { ca: Buffer.from('CA PEM'), servername: 'redis.internal' },
    });
    await expect(load({ redis: { tls: { cert: 'a.pem' } } })).rejects.toThrow(/cert and key together/);
  });
});
