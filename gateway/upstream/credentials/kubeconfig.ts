import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../../src/errors.ts';
import { closeConnectionPools, clusterConnectionPools, type PoolOptions } from './connection-pool.ts';
import { execConfigSchema, execCredentialSource } from './exec-credential.ts';
import { fileTokenSource } from './token-source.ts';
import type { UpstreamTarget } from './types.ts';

const clusterEntry = z.object({
  server: z.url(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': z.string().optional(),
});
const userEntry = z.object({
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  'client-certificate': z.string().optional(),
  'client-certificate-data': z.string().optional(),
  'client-key': z.string().optional(),
  'client-key-data': z.string().optional(),
  exec: execConfigSchema.optional(),
});
const contextEntry = z.object({ cluster: z.string(), user: z.string() });

const kubeconfigSchema = z.object({
  'current-context': z.string().optional(),
  clusters: z.array(z.object({ name: z.string(), cluster: clusterEntry })),
  users: z.array(z.object({ name: z.string(), user: userEntry })),
  contexts: z.array(z.object({ name: z.string(), context: contextEntry })),
});

/**
 * Builds an upstream target from a kubeconfig file and context: server URL, CA, token or token
 * file, client certificate, or an exec credential plugin (exec-credential.ts: e.g.
 * `aws eks get-token`, run as kubectl runs it, its token cached until it expires or the cluster
 * answers 401). auth-provider entries are not supported; EKS also has its own source (eks.ts).
 */
export async function kubeconfigTarget(
  path: string,
  contextName?: string,
  options: { execTimeoutMs?: number } & PoolOptions = {},
): Promise<UpstreamTarget> {
  const base = dirname(path);
  const field = `kubeconfig ${path}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(field, `cannot read: ${(error as Error).message}`);
  }
  const parsed = kubeconfigSchema.safeParse(parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${field}: ${issue?.path.join('.')}`, issue?.message ?? 'invalid');
  }
  const config = parsed.data;
  const ctxName = contextName ?? config['current-context'];
  const context = config.contexts.find((c) => c.name === ctxName)?.context;
  if (!context) throw new ConfigError(field, `context "${ctxName ?? ''}" not found`);
  const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new ConfigError(field, `cluster "${context.cluster}" not found`);
  const user = config.users.find((u) => u.name === context.user)?.user;
  if (!user) throw new ConfigError(field, `user "${context.user}" not found`);

  const fileOrData = async (file: string | undefined, data: string | undefined) =>
    data ? Buffer.from(data, 'base64') : file ? await readFile(resolve(base, file)) : undefined;

  const ca = await fileOrData(cluster['certificate-authority'], cluster['certificate-authority-data']);
  const cert = await fileOrData(user['client-certificate'], user['client-certificate-data']);
  const key = await fileOrData(user['client-key'], user['client-key-data']);
  const baseUrl = new URL(cluster.server);
  const pools = clusterConnectionPools(
    baseUrl,
    {
      ...(ca ? { ca } : {}),
      ...(cert && key ? { cert, key } : {}),
      ...(cluster['tls-server-name'] ? { servername: cluster['tls-server-name'] } : {}),
      rejectUnauthorized: !cluster['insecure-skip-tls-verify'],
    },
    options,
  );

  const staticToken = user.token;
  const tokenFromFile = user.tokenFile ? fileTokenSource(resolve(base, user.tokenFile)) : undefined;
  const exec =
    user.exec && !staticToken && !tokenFromFile
      ? execCredentialSource(user.exec, {
          baseDir: base,
          timeoutMs: options.execTimeoutMs ?? 30_000,
          cluster: {
            server: cluster.server,
            ...(ca ? { 'certificate-authority-data': ca.toString('base64') } : {}),
            ...(cluster['tls-server-name'] ? { 'tls-server-name': cluster['tls-server-name'] } : {}),
          },
        })
      : undefined;
  return {
    baseUrl,
    ...pools,
    authorization: async () => {
      if (staticToken) return `Bearer ${staticToken}`;
      if (tokenFromFile) return `Bearer ${await tokenFromFile()}`;
      if (exec) return `Bearer ${await exec.token()}`;
      return undefined;
    },
    rejected: (authorization) => {
      if (exec && authorization.startsWith('Bearer ')) exec.invalidate(authorization.slice('Bearer '.length));
    },
    close: () => closeConnectionPools(pools),
  };
}
