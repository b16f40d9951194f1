import type { Caller } from '../../../src/authn/caller.ts';
import { principalOfArn } from '../../../src/aws/arn.ts';
import { EksTokenError, parseEksToken } from '../../../src/aws/eks-token.ts';
import type { AwsAuthenticationConfig } from '../../../src/config/aws-authentication.ts';
import { durationMs } from '../../../src/config/schema.ts';
import { StatusError, unauthorized } from '../../../src/errors.ts';
import { createTokenCache, tokenCacheKey } from '../token-cache.ts';
import { callerOfPrincipal } from './arn-mapping.ts';
import {
  type CallerIdentity,
  getCallerIdentity,
  StsRejectedError,
  StsUnavailableError,
} from './sts-caller-identity.ts';

/**
 * Agents authenticated by AWS IAM, as EKS authenticates them: the bearer token is
 * `k8s-aws-v1.` + a presigned STS GetCallerIdentity URL. Per token: SHA-256 → cache hit → done.
 * On a miss: the URL is checked without any I/O (src/aws/eks-token.ts: allow-listed STS host,
 * GetCallerIdentity, fresh, `host` and `x-k8s-aws-id` signed), then sent to STS with
 * `x-k8s-aws-id: <gatewayId>`: STS checks the signature, so a forged token, one made for an EKS
 * cluster or another gateway, or with keys since revoked, fails there. The ARN STS returns is
 * mapped to a Kubernetes identity (arn-mapping.ts). Concurrent requests with one uncached token
 * share one STS call; verified identities are cached until the token expires (15 minutes after
 * it was signed), successes only.
 *
 * Throws StatusError: 401 for a bad token (never echoing it), 503 with Retry-After when STS
 * cannot be reached (a new token would not help).
 */
export interface AwsAuthenticator {
  authenticate(token: string): Promise<Caller>;
}

export interface AwsAuthenticatorOptions {
  /** Default 10,000 verified tokens. */
  maxCacheEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** The STS call, for tests. */
  getCallerIdentity?: typeof getCallerIdentity;
}

export function createAwsAuthenticator(
  config: AwsAuthenticationConfig,
  options: AwsAuthenticatorOptions = {},
): AwsAuthenticator {
  const now = options.now ?? Date.now;
  const callSts = options.getCallerIdentity ?? getCallerIdentity;
  const timeoutMs = durationMs(config.stsTimeout);
  const connectTo = config.stsConnectTo ? new URL(config.stsConnectTo) : undefined;
  const cache = createTokenCache({
    maxEntries: options.maxCacheEntries ?? 10_000,
    maxTtlMs: 15 * 60_000,
    now,
  });
  const inflight = new Map<string, Promise<Caller>>();

  const verify = async (token: string, key: string): Promise<Caller> => {
    let parsed: ReturnType<typeof parseEksToken>;
    try {
      parsed = parseEksToken(token, {
        clusterId: config.gatewayId,
        extraOrigins: config.stsEndpoints,
        now: now(),
      });
    } catch (error) {
      if (error instanceof EksTokenError) throw unauthorized(error.message);
      throw error;
    }
    let identity: CallerIdentity;
    try {
      identity = await callSts(parsed.url, config.gatewayId, { timeoutMs, connectTo });
    } catch (error) {
      if (error instanceof StsRejectedError) {
        throw unauthorized(
          `AWS STS refused the token (${error.code}): it is not signed by valid AWS credentials for this ` +
            `gateway; make it with \`aws eks get-token --cluster-name ${config.gatewayId}\``,
        );
      }
      if (error instanceof StsUnavailableError) {
        throw new StatusError(
          503,
          'ServiceUnavailable',
          'the gateway cannot reach AWS STS to verify the token right now; retry in 5s',
          { details: { retryAfterSeconds: 5 }, headers: { 'Retry-After': '5' }, cause: error },
        );
      }
      throw error;
    }
    const principal = principalOfArn(identity.arn);
    if (!principal)
      throw unauthorized(
        `AWS STS returned an identity this gateway cannot map (${identity.arn.slice(0, 200)})`,
      );
    const caller = callerOfPrincipal(principal, config.mappings);
    cache.set(key, caller, parsed.expiresAtMs);
    return caller;
  };

  return {
    async authenticate(token) {
      const key = tokenCacheKey(token);
      const cached = cache.get(key);
      if (cached) return cached;
      let pending = inflight.get(key);
      if (!pending) {
        pending = verify(token, key).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
  };
}
