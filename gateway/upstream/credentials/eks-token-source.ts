import { EKS_TOKEN_LIFETIME_MS } from '../../../src/aws/eks-token.ts';
import type { AwsCredentialProvider } from './aws-credentials.ts';
import { presignEksToken } from './eks-token-presign.ts';

/**
 * EKS tokens for one cluster, one per key ('' for the gateway's own session, the agent's name
 * with per-agent sessions), each made when first needed and renewed after 14 minutes (EKS takes
 * it for 15) or a minute before its credentials expire, whichever is first. Concurrent requests
 * share one renewal. At most `maxEntries` keys are kept (least recently used go first), so
 * per-agent sessions cost bounded memory. Tokens live in memory only.
 */
export interface EksTokenSource {
  token(key: string): Promise<string>;
  /** The cluster refused `token`: drop it (and, through `onRefused`, its credentials). */
  invalidate(key: string, token: string): void;
  readonly size: number;
}

export interface EksTokenSourceOptions {
  clusterName: string;
  region: string;
  /** Credentials for a key (the same provider for every key without per-agent sessions). */
  credentialsFor(key: string): AwsCredentialProvider;
  /** Called when a key is dropped for a 401 or evicted, to forget its credentials too. */
  forget?(key: string): void;
  maxEntries?: number;
  stsEndpoint?: string;
  now?: () => number;
}

const RENEW_AFTER_MS = EKS_TOKEN_LIFETIME_MS - 60_000;
const CREDENTIAL_MARGIN_MS = 60_000;

interface Entry {
  token?: string;
  renewAtMs: number;
  pending?: Promise<string> | undefined;
}

export function createEksTokenSource(options: EksTokenSourceOptions): EksTokenSource {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1000;
  const entries = new Map<string, Entry>();

  const make = async (key: string, entry: Entry): Promise<string> => {
    const credentials = await options.credentialsFor(key)();
    const signedAt = now();
    const token = await presignEksToken({
      clusterName: options.clusterName,
      region: options.region,
      credentials,
      signingDate: new Date(signedAt),
      ...(options.stsEndpoint ? { stsEndpoint: options.stsEndpoint } : {}),
    });
    const credentialsEnd = credentials.expiration
      ? credentials.expiration.getTime() - CREDENTIAL_MARGIN_MS
      : Infinity;
    entry.token = token;
    entry.renewAtMs = Math.min(signedAt + RENEW_AFTER_MS, Math.max(credentialsEnd, signedAt + 1000));
    return token;
  };

  return {
    token(key) {
      let entry = entries.get(key);
      if (entry) {
        entries.delete(key); // re-inserted below: most recently used last
      } else {
        entry = { renewAtMs: 0 };
        while (entries.size >= maxEntries) {
          const oldest = entries.keys().next();
          if (oldest.done) break;
          entries.delete(oldest.value);
          options.forget?.(oldest.value);
        }
      }
      entries.set(key, entry);
      if (entry.token && now() < entry.renewAtMs) return Promise.resolve(entry.token);
      const current = entry;
      current.pending ??= make(key, current).finally(() => {
        current.pending = undefined;
      });
      return current.pending;
    },
    invalidate(key, token) {
      const entry = entries.get(key);
      if (entry?.token !== token) return;
      entries.delete(key);
      options.forget?.(key);
    },
    get size() {
      return entries.size;
    },
  };
}
