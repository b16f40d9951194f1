import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../../src/errors.ts';
import { closeConnectionPools, clusterConnectionPools, type PoolOptions } from './connection-pool.ts';
import { fileTokenSource } from './token-source.ts';
import type { UpstreamTarget } from './types.ts';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The pod's own service account, as client-go's rest.InClusterConfig reads it: the API server from
 * KUBERNETES_SERVICE_HOST/PORT, the CA and the (rotating) projected token from the mounted volume.
 */
export async function inClusterTarget(
  env: NodeJS.ProcessEnv = process.env,
  dir = SERVICE_ACCOUNT_DIR,
  options: PoolOptions = {},
): Promise<UpstreamTarget> {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) {
    throw new ConfigError(
      'inCluster',
      'KUBERNETES_SERVICE_HOST/PORT are not set: the gateway is not running in a pod',
    );
  }
  let ca: Buffer;
  try {
    ca = await readFile(`${dir}/ca.crt`);
  } catch (error) {
    throw new ConfigError('inCluster', `cannot read the service account CA: ${(error as Error).message}`);
  }
  const token = fileTokenSource(`${dir}/token`);
  await token(); // fail at start-up, not on the first request
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const baseUrl = new URL(`https://${hostPart}:${port}`);
  const pools = clusterConnectionPools(baseUrl, { ca }, options);
  return {
    baseUrl,
    ...pools,
    authorization: async () => `Bearer ${await token()}`,
    close: () => closeConnectionPools(pools),
  };
}
