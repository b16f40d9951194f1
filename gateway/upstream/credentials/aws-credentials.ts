import { createHash } from 'node:crypto';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { StatusError } from '../../../src/errors.ts';
import type { AwsCredentials } from './eks-token-presign.ts';

/**
 * The gateway's AWS credentials. The base is the SDK's default chain (`fromNodeProviderChain`):
 * environment variables, IRSA (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), EKS Pod Identity,
 * ECS task roles, the instance profile — so the gateway runs unchanged wherever AWS hands a pod
 * an identity. The chain caches and renews on its own. Credentials stay in memory, and no error
 * here carries them.
 */
export type AwsCredentialProvider = () => Promise<AwsCredentials>;

export function defaultAwsCredentials(): AwsCredentialProvider {
  return fromNodeProviderChain();
}

export interface AssumeRoleSettings {
  region: string;
  roleArn: string;
  externalId?: string | undefined;
  sessionName: string;
  /** Session tags (the role's trust policy must allow sts:TagSession). */
  tags?: Record<string, string>;
  /** SourceIdentity (needs sts:SetSourceIdentity). */
  sourceIdentity?: string;
  /** Cluster name, for messages. */
  cluster: string;
}

/** Renew assumed-role credentials this long before they expire. */
const RENEW_EARLY_MS = 5 * 60_000;

/**
 * Credentials of one role session, assumed with `base` and renewed 5 minutes before they
 * expire; concurrent callers share one AssumeRole call. A failure is a 503 Status that names the
 * role and STS's error code (AccessDenied: fix the trust policy), and is not cached.
 */
export function assumeRoleCredentials(
  base: AwsCredentialProvider,
  settings: AssumeRoleSettings,
  options: { now?: () => number; client?: STSClient } = {},
): AwsCredentialProvider & { forget(): void } {
  const now = options.now ?? Date.now;
  const client = options.client ?? new STSClient({ region: settings.region, credentials: base });
  let cached: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  const provider = async () => {
    if (cached?.expiration && cached.expiration.getTime() - RENEW_EARLY_MS > now()) return cached;
    pending ??= assume(client, settings)
      .then((credentials) => {
        cached = credentials;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return Object.assign(provider, {
    forget() {
      cached = undefined;
    },
  });
}

async function assume(client: STSClient, settings: AssumeRoleSettings): Promise<AwsCredentials> {
  try {
    const out = await client.send(
      new AssumeRoleCommand({
        RoleArn: settings.roleArn,
        RoleSessionName: settings.sessionName,
        DurationSeconds: 3600,
        ...(settings.externalId ? { ExternalId: settings.externalId } : {}),
        ...(settings.tags
          ? { Tags: Object.entries(settings.tags).map(([Key, Value]) => ({ Key, Value })) }
          : {}),
        ...(settings.sourceIdentity ? { SourceIdentity: settings.sourceIdentity } : {}),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error('AssumeRole returned no credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  } catch (error) {
    const code = (error as { name?: string }).name ?? 'Error';
    throw new StatusError(
      503,
      'ServiceUnavailable',
      `the gateway could not assume role ${settings.roleArn} for cluster "${settings.cluster}" (${code}); ` +
        "this is the gateway's own AWS access, not yours: retry later or ask the platform team to check the " +
        "role's trust policy",
      { cause: new Error(`AssumeRole ${settings.roleArn}: ${code}`) },
    );
  }
}

/**
 * An agent's name as AWS accepts it in a role session name or SourceIdentity ([\w+=,.@-], 2–64
 * characters): other characters become `-`, and a name that had to change or be cut gets a
 * short hash, so two agents never share a session.
 */
export function awsSessionName(subject: string): string {
  const cleaned = subject.replace(/[^\w+=,.@-]/g, '-');
  if (cleaned === subject && cleaned.length >= 2 && cleaned.length <= 64) return cleaned;
  const hash = createHash('sha256').update(subject).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, 55)}-${hash}`;
}

/** An agent's name as a session tag value ([\p{L}\p{Z}\p{N}_.:/=+\-@], at most 256 characters). */
export function awsTagValue(subject: string): string {
  return subject.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256);
}
