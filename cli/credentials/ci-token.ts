import { readFile } from 'node:fs/promises';
import { insecureUrlReason } from '../../src/authn/secure-url.ts';
import { UsageError } from '../args.ts';
import type { AccessToken } from './client-credentials.ts';

/**
 * Identity tokens a CI platform or a cluster already gives the job, used as the gateway
 * credential as they are: no client secret to store anywhere.
 *
 * - `github-actions`: GitHub's OIDC token for the job, requested as GitHub documents it — GET
 *   `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with `Authorization: bearer
 *   $ACTIONS_ID_TOKEN_REQUEST_TOKEN` (the workflow needs `permissions: id-token: write`); the
 *   answer is `{ "value": "<jwt>" }`.
 * - `file`: a file the platform writes and refreshes: GitLab's `id_tokens:` (as a file variable),
 *   a Kubernetes projected service-account token, anything else. Read on every run, so a
 *   refreshed file is picked up.
 * - `env`: an environment variable holding the token (GitLab's `id_tokens:` as a plain variable).
 *
 * The token is never checked here beyond its shape (a JWT with an `exp`), which the
 * ExecCredential's expirationTimestamp needs: the gateway verifies it. Bad input (a missing
 * variable, an unreadable file, something that is not a JWT) is a {@link UsageError}, one line
 * naming what to fix; a GitHub token request that fails is a plain Error. Messages never contain
 * the token or the request bearer.
 */

export type CiTokenSource =
  | { kind: 'github-actions'; audience: string }
  | { kind: 'file'; path: string }
  | { kind: 'env'; name: string };

/** The token from `source` with its expiry, ready for an ExecCredential. */
export async function readCiToken(source: CiTokenSource, env = process.env): Promise<AccessToken> {
  const { token, origin } = await rawToken(source, env);
  return { token, expiresAt: expiryOf(token, origin) };
}

async function rawToken(
  source: CiTokenSource,
  env: NodeJS.ProcessEnv,
): Promise<{ token: string; origin: string }> {
  switch (source.kind) {
    case 'env': {
      const value = env[source.name]?.trim();
      if (!value)
        throw new UsageError(
          `environment variable ${source.name} is not set or empty; it should hold the job's ID token`,
        );
      return { token: value, origin: `environment variable ${source.name}` };
    }
    case 'file': {
      let text: string;
      try {
        text = await readFile(source.path, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new UsageError(`cannot read the token file ${source.path}: ${code}`);
      }
      const value = text.trim();
      if (!value) throw new UsageError(`the token file ${source.path} is empty`);
      return { token: value, origin: `token file ${source.path}` };
    }
    case 'github-actions':
      return {
        token: await githubActionsToken(source.audience, env),
        origin: 'GitHub Actions ID token answer',
      };
  }
}

/** Long enough for GitHub's token service on a slow runner, short enough for kubectl's patience. */
const GITHUB_TIMEOUT_MS = 15_000;

async function githubActionsToken(audience: string, env: NodeJS.ProcessEnv): Promise<string> {
  const requestUrl = env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const bearer = env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (!requestUrl || !bearer) {
    throw new UsageError(
      'ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: run this in a GitHub Actions job whose workflow grants "permissions: id-token: write"',
    );
  }
  const reason = insecureUrlReason(requestUrl);
  if (reason) throw new UsageError(`ACTIONS_ID_TOKEN_REQUEST_URL ${reason}`);
  const url = new URL(requestUrl);
  url.searchParams.set('audience', audience);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `bearer ${bearer}`, accept: 'application/json' },
      signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (error) {
    throw new Error(`cannot reach GitHub's ID token service (${url.host}): ${(error as Error).message}`);
  }
  if (!response.ok) {
    throw new Error(
      `GitHub's ID token service answered ${response.status} for audience ${JSON.stringify(audience)}; check the workflow's "permissions: id-token: write"`,
    );
  }
  const body = (await response.json().catch(() => undefined)) as { value?: unknown } | undefined;
  if (typeof body?.value !== 'string' || body.value === '') {
    throw new Error(`GitHub's ID token service answered without a token ("value")`);
  }
  return body.value;
}

/** `exp` of a JWT, read without verifying (the gateway verifies); UsageError when it has none. */
function expiryOf(token: string, origin: string): Date {
  const parts = token.split('.');
  let claims: unknown;
  try {
    if (parts.length !== 3) throw new Error('not three parts');
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    throw new UsageError(
      `the ${origin} does not hold a JWT (header.payload.signature); it should be the job's OIDC ID token`,
    );
  }
  const exp = (claims as { exp?: unknown } | null)?.exp;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new UsageError(
      `the token from the ${origin} has no "exp" claim; the gateway only accepts tokens that expire`,
    );
  }
  return new Date(exp * 1000);
}
