/**
 * The sandbox's EKS mode: bearer tokens are checked as EKS's authenticator (aws-iam-authenticator)
 * checks them — a `k8s-aws-v1.` token whose presigned GetCallerIdentity URL passes the offline
 * checks (src/aws/eks-token.ts, bound to this cluster's name) is sent to STS, here the stand-in,
 * with `x-k8s-aws-id: <clusterName>`, and the ARN STS returns (assumed roles as their role) is
 * mapped to a user, EKS access-entry style. Verified tokens are cached until they expire.
 *
 * Every request goes to the stand-in whatever host the token names, keeping that host in the
 * Host header, so tokens signed for sts.<region>.amazonaws.com (Debian's AWS CLI 2.9 ignores
 * AWS_ENDPOINT_URL_STS) verify as they would at AWS.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { arnPatternMatches, principalOfArn } from '../../../../src/aws/arn.ts';
import { parseEksToken } from '../../../../src/aws/eks-token.ts';

export interface EksModeMapping {
  /** ARN pattern (`*` wildcard), matched against the role ARN for assumed roles. */
  arn: string;
  /** May use {{SessionName}}, as EKS access entries do. */
  username: string;
  groups?: string[];
}

export interface EksModeOptions {
  clusterName: string;
  /** The STS stand-in's URL: every verification goes there. */
  stsUrl: string;
  mappings: EksModeMapping[];
}

export interface EksUser {
  username: string;
  groups: string[];
  arn: string;
}

export type EksAuthenticator = (token: string) => Promise<EksUser | undefined>;

export function createEksAuthenticator(options: EksModeOptions): EksAuthenticator {
  const cache = new Map<string, { user: EksUser; expiresAtMs: number }>();
  const sts = new URL(options.stsUrl);
  return async (token) => {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = cache.get(key);
    if (hit && hit.expiresAtMs > Date.now()) return hit.user;
    let parsed: ReturnType<typeof parseEksToken>;
    try {
      parsed = parseEksToken(token, { clusterId: options.clusterName, extraOrigins: [sts.origin] });
    } catch {
      return undefined;
    }
    const arn = await callerArn(sts, parsed.url, options.clusterName);
    const principal = arn ? principalOfArn(arn) : undefined;
    if (!principal) return undefined;
    const mapping = options.mappings.find((m) => arnPatternMatches(m.arn, principal.arn));
    if (!mapping) return undefined;
    const user = {
      username: mapping.username.replace('{{SessionName}}', principal.sessionName),
      groups: mapping.groups ?? [],
      arn: principal.callerArn,
    };
    if (cache.size > 1000) cache.clear();
    cache.set(key, { user, expiresAtMs: parsed.expiresAtMs });
    return user;
  };
}

function callerArn(sts: URL, url: URL, clusterName: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      {
        hostname: sts.hostname,
        port: sts.port,
        method: 'GET',
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, 'x-k8s-aws-id': clusterName, accept: 'application/json' },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve(undefined);
          try {
            const body = JSON.parse(text) as {
              GetCallerIdentityResponse?: { GetCallerIdentityResult?: { Arn?: string } };
            };
            resolve(body.GetCallerIdentityResponse?.GetCallerIdentityResult?.Arn);
          } catch {
            resolve(undefined);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
