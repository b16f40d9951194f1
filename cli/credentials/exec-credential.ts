import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AccessToken } from './client-credentials.ts';

/**
 * kubectl's exec credential plugin protocol (client.authentication.k8s.io/v1): the shape the
 * `hoop-gateway token` command prints, and the kubeconfig `users[].user.exec` entry that runs it.
 *
 * kubectl calls the plugin when it has no credential or the last one passed its
 * `expirationTimestamp`, so a kubeconfig using this entry keeps working for as long as the
 * client's secret does, however short-lived the tokens are.
 */

export const EXEC_CREDENTIAL_API_VERSION = 'client.authentication.k8s.io/v1';

export interface ExecCredential {
  apiVersion: typeof EXEC_CREDENTIAL_API_VERSION;
  kind: 'ExecCredential';
  status: { token: string; expirationTimestamp: string };
}

/** The `user.exec` stanza of a kubeconfig user. */
export interface KubeconfigExec {
  apiVersion: typeof EXEC_CREDENTIAL_API_VERSION;
  command: string;
  args: string[];
  /** Agents and CI jobs have nobody at the keyboard; the plugin never prompts. */
  interactiveMode: 'Never';
  provideClusterInfo: false;
}

export interface ExecCredentialUserOptions {
  issuer: string;
  clientId: string;
  /** Absolute path of a file holding the client secret (kept out of the kubeconfig itself). */
  clientSecretFile: string;
  audience: string;
  /** Where the plugin caches the token between kubectl runs; omit to fetch on every run. */
  cacheDir?: string;
}

/** The ExecCredential for a token. Timestamps are RFC 3339 without fractions, as client-go writes them. */
export function execCredential(token: AccessToken): ExecCredential {
  return {
    apiVersion: EXEC_CREDENTIAL_API_VERSION,
    kind: 'ExecCredential',
    status: {
      token: token.token,
      expirationTimestamp: token.expiresAt.toISOString().replace(/\.\d+Z$/, 'Z'),
    },
  };
}

/** Absolute path of bin/hoop-gateway.ts in this checkout. */
// The same file type as this module: .ts in a checkout, .js in the built package.
export const HOOP_GATEWAY_BIN = fileURLToPath(
  new URL(`../../bin/hoop-gateway${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

/**
 * A kubeconfig `user.exec` that runs `hoop-gateway token` with this Node binary (so type
 * stripping is available whatever `node` is first on PATH).
 */
export function execCredentialKubeconfigUser(options: ExecCredentialUserOptions): KubeconfigExec {
  const args = [
    HOOP_GATEWAY_BIN,
    'token',
    '--issuer',
    options.issuer,
    '--client-id',
    options.clientId,
    '--client-secret-file',
    options.clientSecretFile,
    '--audience',
    options.audience,
  ];
  if (options.cacheDir) args.push('--cache-dir', options.cacheDir);
  return {
    apiVersion: EXEC_CREDENTIAL_API_VERSION,
    command: process.execPath,
    args,
    interactiveMode: 'Never',
    provideClusterInfo: false,
  };
}
