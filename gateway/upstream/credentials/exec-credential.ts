import { spawn } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { StatusError } from '../../../src/errors.ts';

/**
 * A kubeconfig user's `exec` credential plugin, run as kubectl runs it
 * (client.authentication.k8s.io v1 and v1beta1): the command (a bare name from PATH, a relative
 * path from the kubeconfig's folder) with its args, the gateway's environment plus the entry's
 * `env`, and `KUBERNETES_EXEC_INFO` describing the request (never interactive: nobody is at the
 * gateway's terminal). Its stdout is an ExecCredential whose `status.token` is used until
 * `status.expirationTimestamp` (a minute before, so a token never expires in flight), or until
 * the cluster answers 401 (`invalidate`). Concurrent requests share one run.
 *
 * A plugin that fails, hangs past the timeout or prints nonsense is a 503 Status naming the
 * command and summarising its stderr (tokens redacted); the token itself is never logged, and
 * its stdout is never quoted. The next request tries again.
 *
 * `aws eks get-token` is the plugin most users start with. The kubeconfig is the operator's, like
 * hoop.yaml: running what it names is the point, as for kubectl.
 */

export const execConfigSchema = z.object({
  apiVersion: z.enum(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'], {
    error: 'exec.apiVersion must be client.authentication.k8s.io/v1 or v1beta1',
  }),
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
  env: z.array(z.object({ name: z.string().min(1), value: z.string() })).nullish(),
  provideClusterInfo: z.boolean().optional(),
  interactiveMode: z.string().optional(),
  installHint: z.string().optional(),
});
export type ExecConfig = z.infer<typeof execConfigSchema>;

export interface ExecCredentialSource {
  /** The current token, running the plugin when there is none or it is about to expire. */
  token(): Promise<string>;
  /** The cluster refused `token`: forget it, so the next call runs the plugin again. */
  invalidate(token: string): void;
}

export interface ExecCredentialOptions {
  /** Folder of the kubeconfig, for relative command paths. */
  baseDir: string;
  timeoutMs: number;
  /** What `provideClusterInfo` hands the plugin (spec.cluster). */
  cluster: { server: string; 'certificate-authority-data'?: string; 'tls-server-name'?: string };
  now?: () => number;
}

/** Renew this long before the plugin's expirationTimestamp. */
const EARLY_MS = 60_000;
const MAX_OUTPUT_BYTES = 1024 * 1024;

export function execCredentialSource(
  config: ExecConfig,
  options: ExecCredentialOptions,
): ExecCredentialSource {
  const now = options.now ?? Date.now;
  let cached: { token: string; renewAtMs: number } | undefined;
  let pending: Promise<string> | undefined;
  return {
    token() {
      if (cached && now() < cached.renewAtMs) return Promise.resolve(cached.token);
      pending ??= runPlugin(config, options)
        .then(({ token, expiresAtMs }) => {
          const renewAtMs =
            expiresAtMs === undefined
              ? Number.POSITIVE_INFINITY
              : Math.max(expiresAtMs - EARLY_MS, now() + 1000);
          cached = { token, renewAtMs: Math.min(renewAtMs, expiresAtMs ?? renewAtMs) };
          return token;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

function failure(config: ExecConfig, why: string, stderr = ''): StatusError {
  const summary = summariseStderr(stderr);
  const hint = config.installHint ? ` (${config.installHint.trim().slice(0, 200)})` : '';
  return new StatusError(
    503,
    'ServiceUnavailable',
    `the gateway could not get its own credential for this cluster: the exec credential plugin ` +
      `"${config.command}" ${why}${summary ? `: ${summary}` : ''}${hint}. This is the gateway's ` +
      'upstream credential, not yours: retry later or ask the platform team',
  );
}

/** The last lines of stderr, short, with anything that looks like a token or key redacted. */
export function summariseStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3)
    .join(' / ');
  return lines
    .replace(/k8s-aws-v1\.[A-Za-z0-9_-]+/g, '[redacted]')
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted]')
    .replace(/\b(A(KIA|SIA)[A-Z0-9]{12,})\b/g, '[redacted]')
    .replace(/[A-Za-z0-9/+=]{40,}/g, '[redacted]')
    .slice(0, 400);
}

function commandPath(command: string, baseDir: string): string {
  // As client-go: a bare name is looked up in PATH; a path with a separator is relative to the kubeconfig.
  if (isAbsolute(command) || !command.includes('/')) return command;
  return resolve(baseDir, command);
}

function runPlugin(
  config: ExecConfig,
  options: ExecCredentialOptions,
): Promise<{ token: string; expiresAtMs: number | undefined }> {
  const execInfo = {
    kind: 'ExecCredential',
    apiVersion: config.apiVersion,
    spec: {
      interactive: false,
      ...(config.provideClusterInfo ? { cluster: options.cluster } : {}),
    },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(execInfo) };
  for (const { name, value } of config.env ?? []) env[name] = value;

  return new Promise((resolvePromise, reject) => {
    const child = spawn(commandPath(config.command, options.baseDir), config.args ?? [], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    let size = 0;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      settle(() =>
        reject(failure(config, `did not finish within ${Math.round(options.timeoutMs / 1000)}s`, stderr)),
      );
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        settle(() => reject(failure(config, 'printed more than 1 MiB')));
      } else stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      settle(() => reject(failure(config, `could not be started (${error.code ?? error.message})`))),
    );
    child.on('close', (code, signal) =>
      settle(() => {
        if (code !== 0) {
          return reject(
            failure(config, signal ? `was killed by ${signal}` : `exited with code ${code}`, stderr),
          );
        }
        try {
          resolvePromise(parseExecCredential(Buffer.concat(stdout).toString('utf8'), config.apiVersion));
        } catch (error) {
          reject(failure(config, (error as Error).message, stderr));
        }
      }),
    );
  });
}

/** The token and expiry of a plugin's output; throws saying what is wrong, never quoting it. */
export function parseExecCredential(
  text: string,
  apiVersion: string,
): { token: string; expiresAtMs: number | undefined } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error('did not print an ExecCredential (JSON) on stdout');
  }
  const credential = body as {
    kind?: unknown;
    apiVersion?: unknown;
    status?: { token?: unknown; expirationTimestamp?: unknown; clientCertificateData?: unknown };
  };
  if (credential.kind !== 'ExecCredential') throw new Error('printed JSON that is not an ExecCredential');
  if (credential.apiVersion !== apiVersion) {
    throw new Error(
      `answered with apiVersion ${String(credential.apiVersion).slice(0, 60)}, not ${apiVersion}`,
    );
  }
  const status = credential.status;
  if (typeof status?.token !== 'string' || status.token === '') {
    throw new Error(
      status?.clientCertificateData
        ? 'returned a client certificate; the gateway supports token credentials from exec plugins'
        : 'returned no status.token',
    );
  }
  let expiresAtMs: number | undefined;
  if (status.expirationTimestamp !== undefined && status.expirationTimestamp !== null) {
    expiresAtMs =
      typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : Number.NaN;
    if (Number.isNaN(expiresAtMs)) throw new Error('returned an invalid status.expirationTimestamp');
  }
  return { token: status.token, expiresAtMs };
}
