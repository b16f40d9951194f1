import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import type { Caller } from '../../../src/authn/caller.ts';
import type { EksClusterConfig } from '../../../src/config/eks-cluster.ts';
import { ConfigError, StatusError } from '../../../src/errors.ts';
import {
  type AwsCredentialProvider,
  assumeRoleCredentials,
  awsSessionName,
  awsTagValue,
  defaultAwsCredentials,
} from './aws-credentials.ts';
import { closeConnectionPools, clusterConnectionPools, type PoolOptions } from './connection-pool.ts';
import { createEksTokenSource } from './eks-token-source.ts';
import type { UpstreamTarget } from './types.ts';

/** The session tag that carries the agent's name with `sessionTags` (CloudTrail shows it). */
export const AGENT_SESSION_TAG = 'hoop-agent';

export interface EksTargetOptions extends PoolOptions {
  /** The gateway's base AWS credentials; default the SDK's default chain (IRSA, Pod Identity…). */
  credentials?: AwsCredentialProvider;
  now?: () => number;
}

/**
 * An EKS cluster reached with the gateway's AWS identity: the bearer token is a presigned STS
 * GetCallerIdentity URL bound to the cluster's name (eks-token-presign.ts), made in memory,
 * renewed before EKS stops taking it (eks-token-source.ts) and dropped on a 401. With `roleArn`
 * the token is signed by a session of that role (AssumeRole with externalId and sessionName,
 * renewed before it expires); with `sessionTags` by one session per agent, named after it,
 * tagged `hoop-agent=<agent>` and with the agent as SourceIdentity, so CloudTrail and the EKS
 * audit log name the agent (one AssumeRole per agent and hour; at most maxAgentSessions kept).
 *
 * The endpoint and CA come from the config, or once at start-up from eks:DescribeCluster (a
 * start-up failure there stops the gateway with a ConfigError naming the cluster). A credential
 * that cannot be had at request time is a 503 Status saying it is the gateway's, not the agent's.
 */
export async function eksTarget(
  name: string,
  settings: EksClusterConfig,
  options: EksTargetOptions = {},
): Promise<UpstreamTarget> {
  const base = options.credentials ?? defaultAwsCredentials();
  const sessions = new Map<string, ReturnType<typeof assumeRoleCredentials>>();
  const roleSession = (key: string) => {
    const roleArn = settings.roleArn;
    if (!roleArn) return base;
    let session = sessions.get(key);
    if (!session) {
      const agent = key !== '';
      session = assumeRoleCredentials(base, {
        region: settings.region,
        roleArn,
        externalId: settings.externalId,
        sessionName: agent ? awsSessionName(key) : (settings.sessionName ?? 'hoop-gateway'),
        ...(agent
          ? { tags: { [AGENT_SESSION_TAG]: awsTagValue(key) }, sourceIdentity: awsSessionName(key) }
          : {}),
        cluster: name,
      });
      sessions.set(key, session);
    }
    return session;
  };
  const tokens = createEksTokenSource({
    clusterName: settings.clusterName,
    region: settings.region,
    credentialsFor: (key) => roleSession(key),
    forget: (key) => {
      sessions.get(key)?.forget();
      if (key !== '') sessions.delete(key);
    },
    maxEntries: settings.sessionTags ? settings.maxAgentSessions : 1,
    ...(options.now ? { now: options.now } : {}),
  });
  const keyOf = (caller?: Caller) => (settings.sessionTags && caller ? caller.subject : '');
  const bearer = async (key: string) => {
    try {
      return `Bearer ${await tokens.token(key)}`;
    } catch (error) {
      throw credentialFailure(error, name);
    }
  };

  const { endpoint, caPem } = settings.endpoint
    ? {
        endpoint: settings.endpoint,
        caPem: Buffer.from(settings.certificateAuthorityData ?? '', 'base64'),
      }
    : await describeCluster(name, settings, roleSession(''));
  const baseUrl = new URL(endpoint);
  const pools = clusterConnectionPools(baseUrl, { ca: caPem }, options);
  return {
    baseUrl,
    ...pools,
    authorization: (caller) => bearer(keyOf(caller)),
    rejected: (authorization, caller) => {
      if (authorization.startsWith('Bearer ')) tokens.invalidate(keyOf(caller), authorization.slice(7));
    },
    close: () => closeConnectionPools(pools),
  };
}

/** Endpoint and CA from eks:DescribeCluster, once, with the cluster's credentials. */
async function describeCluster(
  name: string,
  settings: EksClusterConfig,
  credentials: AwsCredentialProvider,
): Promise<{ endpoint: string; caPem: Buffer }> {
  const client = new EKSClient({ region: settings.region, credentials });
  const field = `clusters[${name}].eks`;
  try {
    const out = await client.send(new DescribeClusterCommand({ name: settings.clusterName }));
    const endpoint = out.cluster?.endpoint;
    const ca = out.cluster?.certificateAuthority?.data;
    if (!endpoint || !ca)
      throw new ConfigError(field, `DescribeCluster ${settings.clusterName} returned no endpoint or CA`);
    return { endpoint, caPem: Buffer.from(ca, 'base64') };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code =
      error instanceof StatusError ? error.message : ((error as { name?: string }).name ?? 'Error');
    throw new ConfigError(
      field,
      `cannot look up EKS cluster ${settings.clusterName} in ${settings.region} with eks:DescribeCluster ` +
        `(${code}); give the gateway's role that permission, or set endpoint and certificateAuthorityData`,
    );
  } finally {
    client.destroy();
  }
}

function credentialFailure(error: unknown, cluster: string): StatusError {
  if (error instanceof StatusError) return error;
  const code = (error as { name?: string }).name ?? 'Error';
  return new StatusError(
    503,
    'ServiceUnavailable',
    `the gateway has no AWS credentials to reach cluster "${cluster}" right now (${code}); this is the ` +
      "gateway's own AWS identity (IRSA, Pod Identity, instance profile), not yours: retry later or ask the platform team",
    { cause: new Error(`AWS credentials for ${cluster}: ${code}`) },
  );
}
