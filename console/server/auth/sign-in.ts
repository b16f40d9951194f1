import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Approver } from '../../../src/approvals/review.types.ts';
import { badRequest, forbidden, StatusError, unauthorized } from '../../../src/errors.ts';
import type { LoggedOut } from '../../api.types.ts';
import { parseCookies, writeJson } from '../http.ts';
import { clearCookie, LOGIN_COOKIE, SESSION_COOKIE, setCookie } from './cookies.ts';
import type { ConsoleOidc, IssuedTokens } from './oidc.ts';
import { safeReturnPath } from './return-path.ts';
import { csrfTokenOf, isSecretShaped, newSecret, sameToken } from './secrets.ts';
import {
  type ConsoleSession,
  type ConsoleSessionStore,
  openRefreshToken,
  openVerifier,
  sealRefreshToken,
  sealVerifier,
} from './session-store.ts';

/**
 * Signing people in and out, and recognising them on every request:
 * - `/auth/login` starts the authorization code flow (state, nonce, PKCE) and remembers it under
 *   a login cookie, so the callback only completes in the browser that started it;
 * - `/auth/callback` redeems the code, verifies the access token as the approvals API would (the
 *   injected {@link PersonVerifier}), and starts a console session (session-store.ts);
 * - every API request presents the session cookie; once the access token has expired the
 *   refresh token renews it silently (one refresh at a time per session), or the session ends;
 * - every POST carries the CSRF token (an HMAC of the cookie secret) and a same-origin Origin.
 * Everything is logged with the person's identity; never a token or a cookie.
 */
export interface PersonVerifier {
  /** A person's access token → who they are, or a 401 StatusError. */
  authenticate(token: string): Promise<Approver>;
}

export interface SignInOptions {
  oidc: ConsoleOidc;
  store: ConsoleSessionStore;
  verifier: PersonVerifier;
  publicUrl: string;
  sessionMaxAgeMs: number;
  logger: Logger;
}

export interface SignedIn {
  secret: string;
  session: ConsoleSession;
}

/** How long before the access token's expiry the console refreshes it. */
const REFRESH_EARLY_MS = 30_000;
const REFRESH_LOCK_MS = 10_000;

export class SignIn {
  readonly #options: SignInOptions;
  readonly #refreshing = new Map<string, Promise<ConsoleSession | undefined>>();

  constructor(options: SignInOptions) {
    this.#options = options;
  }

  /** `GET /auth/login?return=/path`. */
  async login(res: ServerResponse, url: URL): Promise<void> {
    const { oidc, store, publicUrl } = this.#options;
    const secret = newSecret();
    const state = randomBytes(24).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const target = await oidc.authorizationUrl({ state, nonce, verifier });
    await store.saveLogin(secret, {
      state,
      nonce,
      verifier: sealVerifier(secret, verifier),
      returnTo: safeReturnPath(url.searchParams.get('return'), publicUrl),
      createdAt: Date.now(),
    });
    res.writeHead(302, {
      location: target.toString(),
      'set-cookie': setCookie(LOGIN_COOKIE, secret, 600),
      'cache-control': 'no-store',
    });
    res.end();
  }

  /** `GET /auth/callback?code&state` (or `?error`): the issuer sends the browser back here. */
  async callback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { oidc, store, publicUrl, logger } = this.#options;
    const loginSecret = parseCookies(req.headers.cookie).get(LOGIN_COOKIE);
    const error = url.searchParams.get('error');
    if (error) {
      const description = (url.searchParams.get('error_description') ?? '').slice(0, 200);
      throw forbidden(
        `the issuer refused the sign-in: ${error.slice(0, 60)}${description ? ` (${description})` : ''}`,
      );
    }
    if (!isSecretShaped(loginSecret))
      throw badRequest(
        'this sign-in was not started in this browser (or it took too long); start again at /auth/login',
      );
    const login = await store.takeLogin(loginSecret);
    const state = url.searchParams.get('state') ?? '';
    if (!login || !sameToken(state, login.state))
      throw badRequest(
        'this sign-in does not match the one this browser started; start again at /auth/login',
      );
    const verifier = openVerifier(loginSecret, login.verifier);
    if (!verifier) throw badRequest('this sign-in cannot be completed; start again at /auth/login');
    // openid-client checks the callback against the redirect URI it was registered with.
    const callbackUrl = new URL(`${url.pathname}${url.search}`, publicUrl);
    let tokens: IssuedTokens;
    try {
      tokens = await oidc.redeem(callbackUrl, { state: login.state, nonce: login.nonce, verifier });
    } catch (cause) {
      if (cause instanceof StatusError) throw cause;
      logger.warn(
        { audit: 'console-login', outcome: 'failed', error: describe(cause) },
        'console sign-in failed',
      );
      throw unauthorized('the sign-in could not be completed with the issuer; start again at /auth/login');
    }
    const approver = await this.#options.verifier.authenticate(tokens.accessToken);
    // Signing in again replaces the browser's earlier sign-in, which ends here.
    const earlier = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    if (isSecretShaped(earlier)) await store.remove(earlier);
    const secret = newSecret();
    const now = Date.now();
    const session: ConsoleSession = {
      approver,
      createdAt: now,
      expiresAt: now + this.#options.sessionMaxAgeMs,
      refreshAt: tokens.expiresAt - REFRESH_EARLY_MS,
      ...(tokens.name ? { name: tokens.name } : {}),
      ...(tokens.refreshToken ? { refresh: sealRefreshToken(secret, tokens.refreshToken) } : {}),
    };
    await store.save(secret, session);
    logger.info(
      {
        audit: 'console-login',
        approver: approver.id,
        subject: approver.subject,
        issuer: approver.issuer,
        groups: approver.groups,
      },
      `${approver.id} signed in to the console`,
    );
    res.writeHead(302, {
      location: login.returnTo,
      'set-cookie': [
        setCookie(SESSION_COOKIE, secret, this.#options.sessionMaxAgeMs / 1000),
        `${LOGIN_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`,
      ],
      'cache-control': 'no-store',
    });
    res.end();
  }

  /** `POST /auth/logout` (CSRF-checked by the caller). */
  async logout(res: ServerResponse, signedIn: SignedIn): Promise<void> {
    await this.#options.store.remove(signedIn.secret);
    this.#options.logger.info(
      { audit: 'console-logout', approver: signedIn.session.approver.id },
      `${signedIn.session.approver.id} signed out of the console`,
    );
    const endSessionUrl = await this.#options.oidc.endSessionUrl();
    const body: LoggedOut = { kind: 'LoggedOut', ...(endSessionUrl ? { endSessionUrl } : {}) };
    writeJson(res, 200, body, { 'set-cookie': clearCookie(SESSION_COOKIE) });
  }

  /** The signed-in person of `req`, refreshed when due; a 401 StatusError when there is none. */
  async require(req: IncomingMessage): Promise<SignedIn> {
    const secret = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const signInAgain = 'sign in first: open /auth/login';
    if (!isSecretShaped(secret)) throw unauthorized(signInAgain);
    let session = await this.#options.store.get(secret);
    if (!session) throw unauthorized(`your console session has ended; ${signInAgain}`);
    if (Date.now() >= session.refreshAt) {
      session = await this.#refreshOnce(secret, session);
      if (!session) throw unauthorized(`your sign-in could not be renewed; ${signInAgain}`);
    }
    return { secret, session };
  }

  /** Rejects a state-changing request without the CSRF token or from another origin. */
  checkCsrf(req: IncomingMessage, signedIn: SignedIn): void {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.#options.publicUrl)
      throw forbidden(`requests from ${origin.slice(0, 100)} may not change anything here`);
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin')
      throw forbidden('cross-site requests may not change anything here');
    const token = req.headers['x-csrf-token'];
    if (typeof token !== 'string' || !sameToken(token, csrfTokenOf(signedIn.secret)))
      throw forbidden('the CSRF token is missing or wrong: reload the page and try again');
  }

  #refreshOnce(secret: string, session: ConsoleSession): Promise<ConsoleSession | undefined> {
    let running = this.#refreshing.get(secret);
    if (!running) {
      running = this.#refresh(secret, session).finally(() => this.#refreshing.delete(secret));
      this.#refreshing.set(secret, running);
    }
    return running;
  }

  async #refresh(secret: string, session: ConsoleSession): Promise<ConsoleSession | undefined> {
    const { store, oidc, logger } = this.#options;
    if (!(await store.lockRefresh(secret, REFRESH_LOCK_MS))) {
      // Another replica is refreshing this session: wait for its result.
      for (let waited = 0; waited < REFRESH_LOCK_MS; waited += 250) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const current = await store.get(secret);
        if (!current) return undefined;
        if (Date.now() < current.refreshAt) return current;
      }
      return undefined;
    }
    try {
      const refreshToken = session.refresh ? openRefreshToken(secret, session.refresh) : undefined;
      if (!refreshToken) {
        await store.remove(secret);
        return undefined;
      }
      const tokens = await oidc.refresh(refreshToken);
      const approver = await this.#options.verifier.authenticate(tokens.accessToken);
      const next: ConsoleSession = {
        ...session,
        approver,
        refreshAt: tokens.expiresAt - REFRESH_EARLY_MS,
        refresh: sealRefreshToken(secret, tokens.refreshToken ?? refreshToken),
      };
      await store.save(secret, next);
      logger.info(
        { audit: 'console-refresh', approver: approver.id, groups: approver.groups },
        `${approver.id}'s console sign-in was renewed`,
      );
      return next;
    } catch (error) {
      logger.warn(
        {
          audit: 'console-refresh',
          approver: session.approver.id,
          outcome: 'failed',
          error: describe(error),
        },
        `${session.approver.id}'s console sign-in could not be renewed; they must sign in again`,
      );
      await store.remove(secret);
      return undefined;
    } finally {
      await store.unlockRefresh(secret).catch(() => undefined);
    }
  }
}

/** An error as one short line without anything a token could be in (no request or response). */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message.slice(0, 160)}`;
  }
  return 'unknown error';
}
