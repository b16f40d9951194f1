import { createRemoteJWKSet, customFetch, type RemoteJWKSet } from 'jose';
import { z } from 'zod';
import type { ResolvedIssuerConfig } from '../../src/authn/issuer-config.ts';
import { insecureUrlReason } from '../../src/authn/secure-url.ts';
import { type IssuerFetch, IssuerUnavailableError } from './issuer-fetch.ts';

/**
 * One trusted issuer's signing keys: OpenID discovery (once), then a jose remote JWKS.
 *
 * Lifecycle, chosen so that no request ever pays for discovery and an issuer outage degrades
 * gracefully:
 * - Initialisation (discovery + first JWKS fetch) happens on `ready()` or on the first token from
 *   this issuer, single-flight. On failure it is retried with exponential backoff; while backing
 *   off, callers get {@link IssuerUnavailableError} with `retryAfterSeconds` at once, so a dead
 *   issuer is not hammered by every request.
 * - Once initialised the keys never expire by age (jose `cacheMaxAge: Infinity`): a JWKS refresh
 *   happens in the background every `refreshMs` (to drop keys the issuer retired), and a token
 *   whose `kid` is unknown makes jose refetch, at most once per `cooldownMs` (rotation). A failed
 *   refresh keeps the previous keys, so an outage of the issuer does not lock agents out.
 */
export interface IssuerKeys {
  /** The key resolver for jwtVerify; rejects with IssuerUnavailableError while keys are unknown. */
  resolver(): Promise<RemoteJWKSet>;
  /** Initialises now; rejects with IssuerUnavailableError saying why if the issuer is not usable. */
  ready(): Promise<void>;
}

export interface IssuerKeysOptions {
  fetch: IssuerFetch;
  timeoutMs: number;
  cooldownMs: number;
  refreshMs: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

const discoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.string() });

/** Reads the discovery document and returns its checked `jwks_uri` (OpenID Discovery 1.0 §4). */
async function discoverJwksUri(config: ResolvedIssuerConfig, fetch: IssuerFetch): Promise<string> {
  if (config.jwksUri) return config.jwksUri;
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const parsed = discoverySchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new IssuerUnavailableError(`${url} is not an OpenID discovery document with issuer and jwks_uri`);
  }
  // A document naming another issuer would let that issuer's keys vouch for this one.
  if (parsed.data.issuer !== config.issuer) {
    throw new IssuerUnavailableError(
      `${url} names issuer ${parsed.data.issuer}, expected exactly ${config.issuer}`,
    );
  }
  const reason = insecureUrlReason(parsed.data.jwks_uri);
  if (reason) throw new IssuerUnavailableError(`jwks_uri ${parsed.data.jwks_uri} from ${url} ${reason}`);
  return parsed.data.jwks_uri;
}

function asUnavailable(error: unknown, jwksContext: string): IssuerUnavailableError {
  if (error instanceof IssuerUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IssuerUnavailableError(`${jwksContext}: ${message}`, { cause: error });
}

export function createIssuerKeys(config: ResolvedIssuerConfig, options: IssuerKeysOptions): IssuerKeys {
  let keys: RemoteJWKSet | undefined;
  let initialising: Promise<RemoteJWKSet> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastFailure: IssuerUnavailableError | undefined;
  let refreshedAt = 0;

  const initialise = async (): Promise<RemoteJWKSet> => {
    const jwksUri = await discoverJwksUri(config, options.fetch);
    const set = createRemoteJWKSet(new URL(jwksUri), {
      [customFetch]: options.fetch,
      timeoutDuration: options.timeoutMs,
      cooldownDuration: options.cooldownMs,
      cacheMaxAge: Number.POSITIVE_INFINITY,
    });
    try {
      await set.reload();
    } catch (error) {
      throw asUnavailable(error, `key set at ${jwksUri} is unusable`);
    }
    return set;
  };

  const load = (): Promise<RemoteJWKSet> => {
    if (keys) return Promise.resolve(keys);
    if (initialising) return initialising;
    const wait = retryAt - Date.now();
    if (lastFailure && wait > 0) {
      const retryAfterSeconds = Math.ceil(wait / 1000);
      return Promise.reject(new IssuerUnavailableError(lastFailure.message, { retryAfterSeconds }));
    }
    initialising = initialise()
      .then(
        (set) => {
          keys = set;
          failures = 0;
          refreshedAt = Date.now();
          return set;
        },
        (error: unknown) => {
          failures += 1;
          const delay = Math.min(options.retryInitialMs * 2 ** (failures - 1), options.retryMaxMs);
          retryAt = Date.now() + delay;
          lastFailure = asUnavailable(error, 'discovery failed');
          const retryAfterSeconds = Math.ceil(delay / 1000);
          throw new IssuerUnavailableError(lastFailure.message, { cause: error, retryAfterSeconds });
        },
      )
      .finally(() => {
        initialising = undefined;
      });
    return initialising;
  };

  /** Background refresh; a failure keeps the keys already known (see the module comment). */
  const refreshIfDue = (set: RemoteJWKSet): void => {
    if (set.reloading || Date.now() - refreshedAt < options.refreshMs) return;
    refreshedAt = Date.now();
    set.reload().catch(() => {
      // Keep serving with the previous keys; the next refresh or an unknown kid tries again.
    });
  };

  return {
    async resolver() {
      const set = await load();
      refreshIfDue(set);
      return set;
    },
    async ready() {
      await load();
    },
  };
}
