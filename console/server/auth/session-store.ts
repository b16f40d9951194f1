import type { Approver } from '../../../src/approvals/review.types.ts';
import type { RedisConnection } from '../../../src/queues/connections.ts';
import { open, seal, secretDigest } from './secrets.ts';

/**
 * Console sign-ins, kept in Redis so any console replica can serve them and logout or expiry ends
 * them everywhere. The key is the SHA-256 of the cookie secret; the refresh token is stored only
 * sealed under a key derived from that secret (secrets.ts). No access token is stored: the
 * console verified it once and keeps the identity it proved, until it is time to refresh.
 */
export interface ConsoleSession {
  approver: Approver;
  name?: string;
  createdAt: number;
  /** The sign-in ends for good at this time (the cookie's Max-Age ends with it). */
  expiresAt: number;
  /** The access token expires at this time: the identity is refreshed after it. */
  refreshAt: number;
  /** The refresh token, sealed (secrets.ts); absent when the issuer gave none. */
  refresh?: string;
}

/** A sign-in in progress: what the callback needs to finish it. */
export interface PendingLogin {
  state: string;
  nonce: string;
  /** The PKCE verifier, sealed under the login cookie's secret. */
  verifier: string;
  returnTo: string;
  createdAt: number;
}

const LOGIN_TTL_SECONDS = 600;

export class ConsoleSessionStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #sessionKey(secret: string): string {
    return `${this.#prefix}:session:${secretDigest(secret)}`;
  }

  #loginKey(secret: string): string {
    return `${this.#prefix}:login:${secretDigest(secret)}`;
  }

  async save(secret: string, session: ConsoleSession): Promise<void> {
    const ttl = Math.max(1, session.expiresAt - Date.now());
    await this.#redis.set(this.#sessionKey(secret), JSON.stringify(session), 'PX', ttl);
  }

  async get(secret: string): Promise<ConsoleSession | undefined> {
    const text = await this.#redis.get(this.#sessionKey(secret));
    if (!text) return undefined;
    try {
      const session = JSON.parse(text) as ConsoleSession;
      return session.expiresAt > Date.now() ? session : undefined;
    } catch {
      return undefined;
    }
  }

  async remove(secret: string): Promise<void> {
    await this.#redis.del(this.#sessionKey(secret));
  }

  /** Takes the refresh lock of a session for `ms`; false when another request holds it. */
  async lockRefresh(secret: string, ms: number): Promise<boolean> {
    return (await this.#redis.set(`${this.#sessionKey(secret)}:refreshing`, '1', 'PX', ms, 'NX')) === 'OK';
  }

  async unlockRefresh(secret: string): Promise<void> {
    await this.#redis.del(`${this.#sessionKey(secret)}:refreshing`);
  }

  async saveLogin(secret: string, login: PendingLogin): Promise<void> {
    await this.#redis.set(this.#loginKey(secret), JSON.stringify(login), 'EX', LOGIN_TTL_SECONDS);
  }

  /** The pending login, removed as it is read: a callback can be completed once. */
  async takeLogin(secret: string): Promise<PendingLogin | undefined> {
    const text = await this.#redis.getdel(this.#loginKey(secret));
    if (!text) return undefined;
    try {
      return JSON.parse(text) as PendingLogin;
    } catch {
      return undefined;
    }
  }
}

export const sealRefreshToken = (secret: string, token: string): string =>
  seal(secret, 'refresh token', token);
export const openRefreshToken = (secret: string, sealed: string): string | undefined =>
  open(secret, 'refresh token', sealed);
export const sealVerifier = (secret: string, verifier: string): string =>
  seal(secret, 'pkce verifier', verifier);
export const openVerifier = (secret: string, sealed: string): string | undefined =>
  open(secret, 'pkce verifier', sealed);
