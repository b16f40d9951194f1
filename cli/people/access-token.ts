import { UsageError } from '../args.ts';
import { refreshLogin } from './device-login.ts';
import {
  configDir,
  currentGateway,
  normalizeGateway,
  type PeopleSession,
  readSession,
  writeSession,
} from './session-file.ts';

/**
 * The signed-in person's access token for a gateway, ready to send: the cached one while it has
 * more than a minute left, else refreshed with the refresh token (and cached again). No session,
 * or a refresh the issuer refuses, is a usage error telling the person to sign in.
 */
export interface SignedIn {
  session: PeopleSession;
  token: string;
}

const MIN_REMAINING_MS = 60_000;

/** Which gateway: `--gateway`, else `$HOOP_GATEWAY`, else the one signed in to last. */
export async function resolveGateway(flag: string | undefined, dir = configDir()): Promise<string> {
  const url = flag ?? process.env['HOOP_GATEWAY'] ?? (await currentGateway(dir));
  if (!url) throw new UsageError('which gateway? sign in first: hoop-gateway login --gateway https://…');
  try {
    return normalizeGateway(url);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function signedIn(gateway: string, dir = configDir()): Promise<SignedIn> {
  const session = await readSession(gateway, dir);
  const login = `hoop-gateway login --gateway ${gateway}`;
  if (!session) throw new UsageError(`not signed in to ${gateway}; run: ${login}`);
  if (session.expiresAt - Date.now() > MIN_REMAINING_MS) return { session, token: session.accessToken };
  if (!session.refreshToken) throw new UsageError(`your sign-in to ${gateway} has expired; run: ${login}`);
  let tokens: Awaited<ReturnType<typeof refreshLogin>>;
  try {
    tokens = await refreshLogin(session, session.refreshToken);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; sign in again: ${login}`);
  }
  const refreshed: PeopleSession = {
    ...session,
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt,
  };
  if (tokens.refreshToken) refreshed.refreshToken = tokens.refreshToken;
  await writeSession(refreshed, dir);
  return { session: refreshed, token: refreshed.accessToken };
}
