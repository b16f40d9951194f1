import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccessToken } from './client-credentials.ts';

/**
 * The exec credential plugin's token cache: kubectl runs the plugin once per invocation (an agent
 * may run hundreds), and the issuer should not mint a token for each. One file per (issuer,
 * client, audience) holds the token and its expiry.
 *
 * A bearer token is a credential, so the directory is created 0700 and the file written 0600
 * (atomically: write a private temp file, then rename, so concurrent kubectl runs never read half
 * a file). A cache file that is not a regular file owned by this user with no group/other
 * permission bits is ignored rather than trusted: someone else could have planted it.
 *
 * No validation library here: kubectl starts the plugin for every command, so its start-up time
 * is paid over and over.
 */

export interface TokenCacheIdentity {
  issuer: string;
  clientId: string;
  audience: string;
}

/** The file's content, or undefined if it is not what {@link writeCachedToken} writes. */
function parseCached(text: string): AccessToken | undefined {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { token, expiresAt } = value as Record<string, unknown>;
  if (typeof token !== 'string' || token === '' || typeof expiresAt !== 'string') return undefined;
  const expires = new Date(expiresAt);
  return Number.isNaN(expires.getTime()) ? undefined : { token, expiresAt: expires };
}

/** The cache file for one identity; the name is a hash, so ids with odd characters are safe. */
export function tokenCacheFile(cacheDir: string, identity: TokenCacheIdentity): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([identity.issuer, identity.clientId, identity.audience]))
    .digest('hex');
  return join(cacheDir, `token-${digest.slice(0, 32)}.json`);
}

/** The cached token if it is trustworthy and still valid for more than `minRemainingMs`. */
export async function readCachedToken(
  cacheDir: string,
  identity: TokenCacheIdentity,
  minRemainingMs: number,
): Promise<AccessToken | undefined> {
  const file = tokenCacheFile(cacheDir, identity);
  try {
    const stat = await lstat(file);
    const ownedByMe = typeof process.getuid !== 'function' || stat.uid === process.getuid();
    if (!stat.isFile() || (stat.mode & 0o077) !== 0 || !ownedByMe) return undefined;
    const cached = parseCached(await readFile(file, 'utf8'));
    if (!cached || cached.expiresAt.getTime() - Date.now() <= minRemainingMs) return undefined;
    return cached;
  } catch {
    return undefined;
  }
}

/** Stores the token; throws if the directory or file cannot be written (callers may ignore it). */
export async function writeCachedToken(
  cacheDir: string,
  identity: TokenCacheIdentity,
  token: AccessToken,
): Promise<void> {
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  const file = tokenCacheFile(cacheDir, identity);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const body = JSON.stringify({ token: token.token, expiresAt: token.expiresAt.toISOString() });
  try {
    await writeFile(temp, body, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
