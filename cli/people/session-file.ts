import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * A person's sign-in, cached per gateway: `hoop-gateway login` writes it, `hoop-gateway reviews`
 * reads (and refreshes) it. One file per gateway URL under the user's config directory
 * (`$XDG_CONFIG_HOME/hoop-gateway/`, else `~/.config/hoop-gateway/`), plus `current` naming the
 * gateway signed in to last, so `reviews` needs no `--gateway` after a login.
 *
 * The file holds a refresh token, a credential, so the directory is 0700 and the file 0600,
 * written atomically (temp file, then rename). A file that is not a regular file owned by this
 * user without group/other bits is ignored: someone else could have planted it.
 */
export interface PeopleSession {
  gateway: string;
  /** PEM file of the CA for the gateway's TLS certificate, when not the system's. */
  caFile?: string;
  issuer: string;
  clientId: string;
  audience: string;
  scopes: string[];
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  refreshToken?: string;
}

/** `$XDG_CONFIG_HOME/hoop-gateway`, else `~/.config/hoop-gateway`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env['XDG_CONFIG_HOME'] || join(homedir(), '.config');
  return join(base, 'hoop-gateway');
}

/** The gateway URL without a trailing slash, the key sessions are stored under. */
export function normalizeGateway(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') throw new Error(`the gateway URL must be https: ${url}`);
  return `${parsed.origin}`;
}

function sessionFile(dir: string, gateway: string): string {
  const digest = createHash('sha256').update(gateway).digest('hex').slice(0, 32);
  return join(dir, 'sessions', `${digest}.json`);
}

export async function readSession(gateway: string, dir = configDir()): Promise<PeopleSession | undefined> {
  const text = await readPrivate(sessionFile(dir, gateway));
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as PeopleSession;
    return value.gateway === gateway && typeof value.accessToken === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function writeSession(session: PeopleSession, dir = configDir()): Promise<string> {
  const file = sessionFile(dir, session.gateway);
  await writePrivate(file, JSON.stringify(session));
  await writePrivate(join(dir, 'current'), `${session.gateway}\n`);
  return file;
}

/** The gateway signed in to last, if any. */
export async function currentGateway(dir = configDir()): Promise<string | undefined> {
  return (await readPrivate(join(dir, 'current')))?.trim() || undefined;
}

export async function removeSession(gateway: string, dir = configDir()): Promise<void> {
  await rm(sessionFile(dir, gateway), { force: true });
}

async function readPrivate(file: string): Promise<string | undefined> {
  try {
    const stat = await lstat(file);
    const mine = typeof process.getuid !== 'function' || stat.uid === process.getuid();
    if (!stat.isFile() || (stat.mode & 0o077) !== 0 || !mine) return undefined;
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function writePrivate(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
