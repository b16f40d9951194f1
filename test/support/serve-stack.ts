import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { type Sandbox, startSandbox } from '@hoop-gateway/sandbox/server';
import { stringify } from 'yaml';
import { listeningUrl, type ServeProcess, spawnServe } from './serve-process.ts';

export const SERVE_AUDIENCE = 'https://hoop-gateway.test';

/** `hoop-gateway serve` as operators run it, with a sandbox cluster and a real OIDC issuer. */
export interface ServeStack {
  /** The directory holding `hoop.yaml`, `upstream.kubeconfig` and the `files` given. */
  dir: string;
  sandbox: Sandbox;
  issuer: OidcIssuer;
  gateway: ServeProcess;
  /** The gateway's `https://…` URL from its "gateway listening" line. */
  url: string;
  /** A token of agent-1, in group `ai-agents`. */
  token: string;
  /** Kills the gateway if it still runs, stops the sandbox and issuer, removes `dir`. */
  close(): Promise<void>;
}

/**
 * Starts a sandbox and an issuer (client agent-1 in group `ai-agents`), writes `hoop.yaml` with
 * their listener, issuer and cluster (`sandbox`) plus `config`, and `files` beside it, then runs
 * `hoop-gateway serve --config hoop.yaml` with `env`.
 */
export async function startServeStack(
  options: { config?: Record<string, unknown>; files?: Record<string, string>; env?: NodeJS.ProcessEnv } = {},
): Promise<ServeStack> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-serve-'));
  const sandbox = await startSandbox({ kubeVersion: '1.33', seed: true });
  const issuer = await startOidcIssuer({
    audience: SERVE_AUDIENCE,
    clients: [{ clientId: 'agent-1', clientSecret: 'agent-1-secret-value', groups: ['ai-agents'] }],
  });
  let gateway: ServeProcess | undefined;
  const close = async () => {
    const child = gateway?.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await issuer.close();
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(join(dir, 'upstream.kubeconfig'), sandbox.kubeconfig(), { mode: 0o600 });
    for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), text);
    await writeFile(
      join(dir, 'hoop.yaml'),
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        dataDir: 'data',
        authentication: { issuers: [{ issuer: issuer.issuer, audience: SERVE_AUDIENCE }] },
        clusters: [{ name: 'sandbox', kubeconfig: { path: 'upstream.kubeconfig' } }],
        ...options.config,
      }),
    );
    gateway = spawnServe(['--config', join(dir, 'hoop.yaml')], options.env);
    const url = await listeningUrl(gateway);
    const token = await issuer.issueToken('agent-1');
    return { dir, sandbox, issuer, gateway, url, token, close };
  } catch (error) {
    await close();
    throw error;
  }
}
