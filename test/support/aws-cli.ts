import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { StandInUser } from '@hoop-gateway/sandbox/aws/aws-stand-in';
import { EKS_TOKEN_PREFIX } from '../../src/aws/eks-token.ts';

const run = promisify(execFile);

/**
 * The real AWS CLI, whichever is installed: the Python CLI v1 and recent v2 honour
 * AWS_ENDPOINT_URL_STS (the token then points at the stand-in); Debian's 2.9 ignores it and signs
 * for sts.<region>.amazonaws.com, which tests serve by connecting to the stand-in anyway
 * (authentication.aws.stsConnectTo). `probe` says which one this machine has.
 */
export interface AwsCli {
  /** The command (`aws` on PATH). */
  command: string;
  version: string;
}

export async function findAwsCli(): Promise<AwsCli> {
  const { stdout, stderr } = await run('aws', ['--version'], { timeout: 60_000 });
  return { command: 'aws', version: `${stdout}${stderr}`.trim().split(/\s/)[0] ?? 'unknown' };
}

/** The environment that makes the CLI sign with `user`'s keys and send STS calls to `stsUrl`. */
export function awsCliEnv(user: StandInUser, stsUrl: string, dir: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: user.accessKeyId,
    AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
    AWS_ENDPOINT_URL_STS: stsUrl,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // No profile of whoever runs the tests may leak in.
    AWS_CONFIG_FILE: `${dir}/aws-config-absent`,
    AWS_SHARED_CREDENTIALS_FILE: `${dir}/aws-credentials-absent`,
  };
}

/** `aws eks get-token --cluster-name <clusterName>` → the bearer token. */
export async function awsEksToken(
  user: StandInUser,
  clusterName: string,
  stsUrl: string,
  dir: string,
): Promise<string> {
  const { stdout } = await run(
    'aws',
    ['eks', 'get-token', '--cluster-name', clusterName, '--region', 'us-east-1'],
    {
      env: { PATH: process.env['PATH'] ?? '', HOME: dir, ...awsCliEnv(user, stsUrl, dir) },
      timeout: 60_000,
    },
  );
  const token = (JSON.parse(stdout) as { status: { token: string } }).status.token;
  if (!token.startsWith(EKS_TOKEN_PREFIX)) throw new Error('aws eks get-token did not return an EKS token');
  return token;
}

/** The STS host the CLI signed the token for. */
export function tokenHost(token: string): string {
  return new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString()).host;
}
