import { decodeJwt, jwtVerify } from 'jose';
import type { Caller } from '../../src/authn/caller.ts';
import {
  type IssuerConfig,
  issuerConfigSchema,
  type ResolvedIssuerConfig,
  resolveIssuerConfig,
} from '../../src/authn/issuer-config.ts';
import { ConfigError, unauthorized } from '../../src/errors.ts';
import { callerFromClaims } from './caller-claims.ts';
import { createIssuerFetch, IssuerUnavailableError } from './issuer-fetch.ts';
import { createIssuerKeys, type IssuerKeys } from './issuer-keys.ts';
import { createTokenCache, type TokenCacheOptions, tokenCacheKey } from './token-cache.ts';
import { issuedInTheFuture, verificationFailure } from './verify-errors.ts';

/**
 * Bearer token → {@link Caller}. Knows nothing of HTTP: the gateway's authentication stage
 * extracts the token, calls `authenticate`, and turns a thrown StatusError into a response.
 *
 * Per token: SHA-256 → cache hit → done. On a miss: decode (unverified) only to read `iss` and
 * pick the trusted issuer, then jose `jwtVerify` checks signature (against that issuer's keys
 * only), `iss`, `aud`, the issuer's algorithms, `exp` (required), `nbf` and `iat` with the
 * configured clock skew (an `iat` later than now plus the skew is refused too). Concurrent requests with the same uncached token share one
 * verification.
 *
 * Throws StatusError: 401 for anything wrong with the token (never echoing it), 503 with
 * Retry-After when the issuer's keys cannot be fetched (see issuer-keys.ts).
 */
export interface Authenticator {
  authenticate(token: string): Promise<Caller>;
  /**
   * Discovers every issuer and fetches its keys now instead of on first use. Rejects with an
   * IssuerUnavailableError naming each issuer that failed; those keep being retried (with
   * backoff) when their tokens arrive, so a gateway may log this and serve anyway.
   */
  ready(): Promise<void>;
}

export interface AuthenticatorOptions {
  /** Verified-token cache; default 10,000 entries, 60 s. */
  cache?: TokenCacheOptions;
  /** Timeout of each discovery or JWKS request; default 5,000 ms. */
  httpTimeoutMs?: number;
  /** Minimum time between JWKS refetches triggered by unknown key ids; default 30,000 ms. */
  jwksCooldownMs?: number;
  /** Background JWKS refresh interval; default 10 minutes. */
  jwksRefreshMs?: number;
  /** First retry delay after a failed discovery, doubled each failure; default 1,000 ms. */
  retryInitialMs?: number;
  /** Longest retry delay; default 60,000 ms. */
  retryMaxMs?: number;
}

/** Far above any real access token (a few KiB); refusing early bounds the work per request. */
const MAX_TOKEN_LENGTH = 64 * 1024;

interface TrustedIssuer {
  config: ResolvedIssuerConfig;
  keys: IssuerKeys;
}

/** Validates `issuers` (ConfigError naming the field) and builds the authenticator. No I/O yet. */
export function createAuthenticator(
  issuers: IssuerConfig[],
  options: AuthenticatorOptions = {},
): Authenticator {
  const trusted = new Map<string, TrustedIssuer>();
  issuers.forEach((raw, index) => {
    const parsed = issuerConfigSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
      throw new ConfigError(`issuers[${index}]${path}`, issue?.message ?? 'invalid');
    }
    const config = resolveIssuerConfig(parsed.data);
    if (trusted.has(config.issuer)) throw new ConfigError(`issuers[${index}].issuer`, 'listed twice');
    const timeoutMs = options.httpTimeoutMs ?? 5_000;
    const keys = createIssuerKeys(config, {
      fetch: createIssuerFetch({ caFile: config.caFile, caFileField: `issuers[${index}].caFile`, timeoutMs }),
      timeoutMs,
      cooldownMs: options.jwksCooldownMs ?? 30_000,
      refreshMs: options.jwksRefreshMs ?? 10 * 60_000,
      retryInitialMs: options.retryInitialMs ?? 1_000,
      retryMaxMs: options.retryMaxMs ?? 60_000,
    });
    trusted.set(config.issuer, { config, keys });
  });
  const cache = createTokenCache(options.cache);
  const inflight = new Map<string, Promise<Caller>>();

  const verify = async (token: string, cacheKey: string): Promise<Caller> => {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw unauthorized('bearer token is too large to be an access token');
    }
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw unauthorized('bearer token is not a JWT; use an access token from a trusted OpenID issuer');
    }
    const issuer = typeof iss === 'string' ? trusted.get(iss) : undefined;
    if (!issuer) {
      const named = typeof iss === 'string' ? ` ${JSON.stringify(iss.slice(0, 200))}` : '';
      throw unauthorized(`token issuer${named} is not trusted by this gateway`);
    }
    const { config } = issuer;
    try {
      const { payload } = await jwtVerify(token, await issuer.keys.resolver(), {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        clockTolerance: config.clockSkewSeconds,
        requiredClaims: ['exp'],
      });
      // jose checks `iat` against the clock only when given a maximum token age; the gateway has
      // none, so a token "issued" in the future is refused here, with the same skew as exp/nbf.
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + config.clockSkewSeconds) {
        throw issuedInTheFuture(payload.iat, config);
      }
      const caller = callerFromClaims(payload, config);
      cache.set(cacheKey, caller, (payload.exp ?? 0) * 1000);
      return caller;
    } catch (error) {
      throw verificationFailure(error, config);
    }
  };

  return {
    async authenticate(token) {
      if (!token) throw unauthorized('no bearer token; send Authorization: Bearer <access token>');
      const cacheKey = tokenCacheKey(token);
      const cached = cache.get(cacheKey);
      if (cached) return cached;
      let pending = inflight.get(cacheKey);
      if (!pending) {
        pending = verify(token, cacheKey).finally(() => inflight.delete(cacheKey));
        inflight.set(cacheKey, pending);
      }
      return pending;
    },
    async ready() {
      const all = [...trusted.values()];
      const results = await Promise.allSettled(all.map((t) => t.keys.ready()));
      const failed = results.flatMap((r, i) =>
        r.status === 'rejected' ? [`${all[i]!.config.issuer}: ${(r.reason as Error).message}`] : [],
      );
      if (failed.length > 0) {
        throw new IssuerUnavailableError(`OpenID issuers not usable yet: ${failed.join('; ')}`);
      }
    },
  };
}
