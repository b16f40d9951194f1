import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { run as keys } from '../../cli/keys.ts';
import { loadConsoleSigner, loadGatewaySigning } from '../../src/approvals/signing/load-signing.ts';
import { loadConfigFile } from '../../src/config/load.ts';

/**
 * The `console:` section and the console's signing key: defaults, the mistakes refused at
 * start-up with the field named, and a key generated with role console that the gateway trusts
 * for console decisions.
 */
let dir: string;
const people = {
  issuer: 'https://idp.example.com',
  audience: 'https://hoop.example.com/approvals',
  clientId: 'cli',
};
const base = {
  authentication: {
    issuers: [{ issuer: 'https://idp.example.com', audience: 'https://hoop.example.com' }],
    people,
  },
  clusters: [{ name: 'local', inCluster: true }],
  policy: { default: 'deny', rules: [] },
};

async function load(extra: Record<string, unknown>) {
  const file = join(dir, `hoop-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify({ ...base, ...extra }));
  return loadConfigFile(file, {});
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-console-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('console:', () => {
  it('is parsed with its defaults, paths against the config file', async () => {
    const config = await load({ console: { publicUrl: 'https://console.example.com/', viewers: ['sre'] } });
    expect(config.console).toEqual({
      listen: { host: '127.0.0.1', port: 8444 },
      tls: undefined,
      publicUrl: 'https://console.example.com',
      clientId: undefined,
      clientSecret: undefined,
      viewers: ['sre'],
      assets: join(dir, 'dist/console'),
      sessionMaxAgeMs: 8 * 3_600_000,
      maxLiveViews: 50,
    });
    const short = await load({
      console: { publicUrl: 'https://c.example.com', viewers: ['sre'], sessionMaxAge: '30m' },
    });
    expect(short.console?.sessionMaxAgeMs).toBe(30 * 60_000);
    expect((await load({})).console).toBeUndefined();
  });

  it.each([
    [{ publicUrl: 'http://console.example.com', viewers: ['sre'] }, 'console.publicUrl: an https:// URL'],
    [
      { publicUrl: 'https://example.com/console', viewers: ['sre'] },
      'console.publicUrl: an origin without a path',
    ],
    [{ publicUrl: 'https://c.example.com', viewers: [] }, 'console.viewers: name at least one group'],
    [{ publicUrl: 'https://c.example.com' }, 'console.viewers'],
    [{ publicUrl: 'https://c.example.com', viewers: ['sre'], sessionMaxAge: '2d' }, 'console.sessionMaxAge'],
    [
      { publicUrl: 'https://c.example.com', viewers: ['sre'], colour: 'red' },
      'console.colour: unknown field',
    ],
  ])('refuses %j', async (section, message) => {
    await expect(load({ console: section })).rejects.toThrow(message);
  });

  it('needs authentication.people to sign anyone in', async () => {
    const file = join(dir, 'no-people.yaml');
    await writeFile(
      file,
      stringify({
        ...base,
        authentication: { issuers: base.authentication.issuers },
        console: { publicUrl: 'https://c.example.com', viewers: ['sre'] },
      }),
    );
    await expect(loadConfigFile(file, {})).rejects.toThrow(
      'console: the console signs people in with authentication.people',
    );
  });
});

describe('the console key', () => {
  it('is generated with role console, signs console decisions, and is trusted through trustedKeys', async () => {
    let printed = '';
    expect(
      await keys(['generate', '--name', 'console', '--role', 'console', '--out', dir], (t) => {
        printed += t;
      }),
    ).toBe(0);
    expect(printed).toContain(`- { publicKey: ${join(dir, 'console.pub')}, role: console }`);
    expect(printed).toContain(`consolePrivateKey: ${join(dir, 'console.key')}`);
    const config = await load({
      approvals: {
        signing: {
          consolePrivateKey: join(dir, 'console.key'),
          trustedKeys: [{ publicKey: join(dir, 'console.pub'), role: 'console' }],
        },
      },
    });
    const signer = await loadConsoleSigner(config.approvals.signing);
    expect(signer?.role).toBe('console');
    const gateway = await loadGatewaySigning(
      { ...config.approvals.signing, consolePrivateKey: undefined },
      join(dir, 'data'),
    );
    expect(gateway.keyring.get(signer!.keyId)?.role).toBe('console');
    expect(await readFile(join(dir, 'console.key'), 'utf8')).toContain('PRIVATE KEY');
  });
});
