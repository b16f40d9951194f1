import { readFile } from 'node:fs/promises';
import { parseCommandArgs, UsageError } from './args.ts';
import { type CiTokenSource, readCiToken } from './credentials/ci-token.ts';
import type { AccessToken } from './credentials/client-credentials.ts';
import { execCredential } from './credentials/exec-credential.ts';
import {
  readCachedToken,
  type TokenCacheIdentity,
  writeCachedToken,
} from './credentials/token-file-cache.ts';

export {
  type ExecCredentialUserOptions,
  execCredentialKubeconfigUser,
  type KubeconfigExec,
} from './credentials/exec-credential.ts';

/**
 * `hoop-gateway token`: the kubectl exec credential plugin. Fetches an access token for the
 * gateway from the OpenID issuer with the client-credentials grant and prints it as an
 * ExecCredential on stdout, which is all kubectl reads. With `--cache-dir` a token with more than
 * a minute left is reused across kubectl runs.
 *
 * The client secret comes from a file or the HOOP_CLIENT_SECRET environment variable, never from
 * a flag (flags are visible to every user in the process list). Errors are one line on stderr and
 * exit code 1 (usage mistakes: exit 2, via bin/hoop-gateway.ts); kubectl shows that line to the
 * agent. Nothing printed ever contains the secret.
 *
 * With `--from github-actions`, `--from-file PATH` or `--from-env NAME` it prints an identity
 * token the CI platform or cluster already gave the job instead (credentials/ci-token.ts), with
 * the token's own `exp` as the expiry; bad input there is a usage error (exit 2).
 */

const USAGE =
  'usage: hoop-gateway token --issuer URL --client-id ID --audience AUD ' +
  '(--client-secret-file FILE | env HOOP_CLIENT_SECRET) [--cache-dir DIR]\n' +
  '       hoop-gateway token (--from github-actions --audience AUD | --from-file PATH | --from-env NAME)';

/** Reused while it has more than this left, so kubectl never gets a token about to expire. */
const MIN_REMAINING_MS = 60_000;

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret-file': { type: 'string' },
      audience: { type: 'string' },
      'cache-dir': { type: 'string' },
      from: { type: 'string' },
      'from-file': { type: 'string' },
      'from-env': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const ciSource = ciTokenSource(values);
  if (ciSource) {
    const token = await readCiToken(ciSource).catch((error: unknown) => {
      if (error instanceof UsageError) throw error;
      process.stderr.write(`hoop-gateway token: ${message(error)}\n`);
      return undefined;
    });
    if (!token) return 1;
    process.stdout.write(`${JSON.stringify(execCredential(token))}\n`);
    return 0;
  }
  const issuer = required(values.issuer, '--issuer');
  const clientId = required(values['client-id'], '--client-id');
  const audience = required(values.audience, '--audience');
  const cacheDir = values['cache-dir'];
  const identity = { issuer, clientId, audience };

  try {
    const cached = cacheDir ? await readCachedToken(cacheDir, identity, MIN_REMAINING_MS) : undefined;
    const token = cached ?? (await fetchToken(identity, await clientSecret(values['client-secret-file'])));
    if (cacheDir && !cached) {
      await writeCachedToken(cacheDir, identity, token).catch((error: unknown) => {
        process.stderr.write(`hoop-gateway token: warning: cannot cache the token: ${message(error)}\n`);
      });
    }
    process.stdout.write(`${JSON.stringify(execCredential(token))}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    process.stderr.write(`hoop-gateway token: ${message(error)}\n`);
    return 1;
  }
}

/**
 * openid-client is loaded only when a token must really be fetched: a cache hit, the common case
 * when kubectl runs the plugin for every command, then starts in a fraction of the time.
 */
async function fetchToken(identity: TokenCacheIdentity, secret: string): Promise<AccessToken> {
  const { fetchClientCredentialsToken } = await import('./credentials/client-credentials.ts');
  return fetchClientCredentialsToken({ ...identity, clientSecret: secret });
}

/**
 * The CI token source the flags name, or undefined for the client-credentials grant. Exactly one
 * source; the grant's flags do not mix with it (only `--audience`, which GitHub needs too).
 */
export function ciTokenSource(values: {
  from?: string | undefined;
  'from-file'?: string | undefined;
  'from-env'?: string | undefined;
  audience?: string | undefined;
  issuer?: string | undefined;
  'client-id'?: string | undefined;
  'client-secret-file'?: string | undefined;
  'cache-dir'?: string | undefined;
}): CiTokenSource | undefined {
  const given = (['from', 'from-file', 'from-env'] as const).filter((flag) => values[flag] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length > 1)
    throw new UsageError(
      `use one of --from, --from-file, --from-env (got ${given.map((f) => `--${f}`).join(' and ')})`,
    );
  const mixed = (['issuer', 'client-id', 'client-secret-file', 'cache-dir'] as const).find(
    (f) => values[f] !== undefined,
  );
  if (mixed)
    throw new UsageError(`--${mixed} is for the client-credentials grant; a CI token needs no client`);
  if (values['from-file'] !== undefined) return { kind: 'file', path: values['from-file'] };
  if (values['from-env'] !== undefined) return { kind: 'env', name: values['from-env'] };
  if (values.from !== 'github-actions') {
    throw new UsageError(
      `--from ${JSON.stringify(values.from)} is not a known token source; use --from github-actions, --from-file PATH (GitLab id_tokens, a projected service-account token) or --from-env NAME`,
    );
  }
  if (!values.audience)
    throw new UsageError("--from github-actions needs --audience (the gateway's audience)");
  return { kind: 'github-actions', audience: values.audience };
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required (${USAGE})`);
  return value;
}

/** The secret, without the trailing newline that editors and `echo` add. */
async function clientSecret(file: string | undefined): Promise<string> {
  let secret: string | undefined;
  if (file) {
    try {
      secret = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the client secret file ${file}: ${(error as Error).message}`);
    }
  } else {
    secret = process.env['HOOP_CLIENT_SECRET'];
  }
  secret = secret?.replace(/[\r\n]+$/, '');
  if (!secret) {
    throw new UsageError(
      file
        ? `the client secret file ${file} is empty`
        : 'no client secret: pass --client-secret-file FILE or set HOOP_CLIENT_SECRET',
    );
  }
  return secret;
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
}
