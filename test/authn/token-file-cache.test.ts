import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCachedToken, tokenCacheFile, writeCachedToken } from '../../cli/credentials/token-file-cache.ts';

/** The exec plugin's on-disk token cache: private files, reused only while comfortably valid. */

const identity = { issuer: 'https://issuer.example.com', clientId: 'agent/1', audience: 'https://gw' };
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hoop-token-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000);

describe('token file cache', () => {
  it('writes a 0600 file in a 0700 directory and reads it back', async () => {
    const cacheDir = join(dir, 'nested', 'cache');
    await writeCachedToken(cacheDir, identity, { token: 'tok', expiresAt: inMinutes(10) });
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(cacheDir)).toHaveLength(1);
    expect(statSync(tokenCacheFile(cacheDir, identity)).mode & 0o777).toBe(0o600);
    expect((await readCachedToken(cacheDir, identity, 60_000))?.token).toBe('tok');
  });

  it('does not reuse a token with a minute or less left', async () => {
    await writeCachedToken(dir, identity, { token: 'tok', expiresAt: inMinutes(0.9) });
    expect(await readCachedToken(dir, identity, 60_000)).toBeUndefined();
    await writeCachedToken(dir, identity, { token: 'tok2', expiresAt: inMinutes(1.5) });
    expect((await readCachedToken(dir, identity, 60_000))?.token).toBe('tok2');
  });

  it('keeps identities apart', async () => {
    await writeCachedToken(dir, identity, { token: 'tok', expiresAt: inMinutes(10) });
    expect(await readCachedToken(dir, { ...identity, audience: 'https://other' }, 0)).toBeUndefined();
  });

  it('ignores a file others can read, and one that is not a cache entry', async () => {
    await writeCachedToken(dir, identity, { token: 'tok', expiresAt: inMinutes(10) });
    const file = tokenCacheFile(dir, identity);
    chmodSync(file, 0o644);
    expect(await readCachedToken(dir, identity, 0)).toBeUndefined();
    writeFileSync(file, '{"token": 42}', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(await readCachedToken(dir, identity, 0)).toBeUndefined();
    writeFileSync(file, 'not json');
    expect(await readCachedToken(dir, identity, 0)).toBeUndefined();
  });
});
