import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { EKS_TOKEN_PREFIX } from '../../../src/aws/eks-token.ts';

/**
 * Makes an EKS bearer token offline, as `aws eks get-token` does: a GetCallerIdentity request to
 * STS presigned with SigV4 (query signing, 60 s X-Amz-Expires; STS accepts it for 15 minutes from
 * X-Amz-Date), its signature covering `host` and `x-k8s-aws-id: <clusterName>`, base64url-encoded
 * without padding after `k8s-aws-v1.`. No network: only the credentials' secret signs it.
 *
 * `stsEndpoint` is the regional endpoint by default; `AWS_ENDPOINT_URL_STS` (the SDK's own
 * variable) or an explicit URL points it elsewhere, e.g. at a stand-in in tests.
 */
/** AWS credentials as the SDK's providers return them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  /** When temporary credentials stop working. */
  expiration?: Date | undefined;
}

export interface PresignOptions {
  clusterName: string;
  region: string;
  credentials: AwsCredentials;
  /** Default: AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com. */
  stsEndpoint?: string;
  /** Signing time, for tests. */
  signingDate?: Date;
  /** Headers to sign; default host and x-k8s-aws-id. Tests use it to forge tokens. */
  signedHeaders?: 'host' | 'host+x-k8s-aws-id';
}

export function stsEndpointFor(region: string, env: NodeJS.ProcessEnv = process.env): string {
  return env['AWS_ENDPOINT_URL_STS'] || env['AWS_ENDPOINT_URL'] || `https://sts.${region}.amazonaws.com`;
}

export async function presignEksToken(options: PresignOptions): Promise<string> {
  const endpoint = new URL(options.stsEndpoint ?? stsEndpointFor(options.region));
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const headers: Record<string, string> = { host: endpoint.host };
  if (options.signedHeaders !== 'host') headers['x-k8s-aws-id'] = options.clusterName;
  const request = new HttpRequest({
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers,
  });
  const signed = await signer.presign(request, {
    expiresIn: 60,
    ...(options.signingDate ? { signingDate: options.signingDate } : {}),
  });
  const url = new URL(`${endpoint.protocol}//${endpoint.host}/`);
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    if (typeof value === 'string') url.searchParams.append(name, value);
  }
  return EKS_TOKEN_PREFIX + Buffer.from(url.toString()).toString('base64url');
}
