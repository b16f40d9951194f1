import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { errors, Provider } from 'oidc-provider';
import { driveDeviceApproval } from './oidc-device-driver.ts';
import { interactionPage } from './oidc-interaction.ts';
import { memoryAdapterFactory } from './oidc-memory-adapter.ts';

/**
 * A real OpenID provider (oidc-provider 9) on loopback, for tests and the demo: machine clients
 * get JWT access tokens through the client-credentials grant, exactly as an agent or CI job would
 * from a production issuer. Plain http is fine here because it only ever listens on loopback;
 * pass `tls` to serve https instead (to test verification of a private CA).
 *
 * Access tokens carry `iss`, `sub` (= the client id: oidc-provider uses the client id when no
 * account is involved), `aud` (the configured audience, requested as the RFC 8707 `resource`),
 * `exp`, `groups` and any per-client extra claims (a CI context, for example).
 *
 * With `people`, people sign in too: the device authorization grant for a public client (and the
 * authorization code grant with PKCE when redirect URIs are given, for the web console), an
 * account picker at `/interaction/…` (oidc-interaction.ts) and a test driver that plays the
 * person over HTTP (oidc-device-driver.ts). Their access tokens are for the people audience and
 * carry `email` and `groups`.
 */

export interface OidcIssuerClient {
  clientId: string;
  clientSecret: string;
  groups: string[];
  /** Claims added to every access token of this client, e.g. repository/workflow/ref/actor. */
  extraClaims?: Record<string, unknown>;
}

/** A person who can sign in with the device flow (no password: a loopback test issuer). */
export interface OidcIssuerAccount {
  id: string;
  email: string;
  groups: string[];
}

/**
 * People signing in to decide reviews: a public client with the device authorization grant
 * (RFC 8628) and refresh tokens, whose access tokens are for `audience` (never the agents') and
 * carry `email` and `groups`. Any account can sign in without a password: test equipment.
 */
export interface OidcIssuerPeople {
  clientId: string;
  audience: string;
  accounts: OidcIssuerAccount[];
  /**
   * Redirect URIs (the web console's `<publicUrl>/auth/callback`): with any, the same public
   * client may also sign people in with the authorization code grant (PKCE required: it is public).
   */
  redirectUris?: string[];
}

export interface OidcIssuerOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. Must be a loopback address. */
  host?: string;
  /** The resource (and so the `aud` claim) the access tokens are issued for: the gateway. */
  audience: string;
  clients: OidcIssuerClient[];
  /** Default 600. */
  accessTokenTtlSeconds?: number;
  /** PEM serving certificate and key: serve https (the issuer URL becomes https://). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Enables the device flow for people (see {@link OidcIssuerPeople}). */
  people?: OidcIssuerPeople;
}

export interface OidcIssuer {
  /** The issuer URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  readonly issuer: string;
  readonly audience: string;
  close(): Promise<void>;
  /**
   * Runs the real client-credentials grant against this issuer's token endpoint (with `tls`, only
   * if this process trusts the certificate, e.g. through NODE_EXTRA_CA_CERTS).
   */
  issueToken(clientId: string): Promise<string>;
  /** How many times the JWKS endpoint was fetched since start. */
  jwksHits(): number;
  /** The key id new tokens are signed with. */
  currentKid(): string;
  /** Publishes a new signing key (the old one stays published) and signs with it from now on. */
  rotateKeys(): Promise<string>;
  /**
   * Signs arbitrary claims with the issuer's current key, for tests that need a token the issuer
   * really signed but with claims it would never issue (expired, future `nbf`, wrong audience).
   * Defaults: iss, aud, sub 'forged', iat now, exp in 5 minutes; pass undefined to drop one.
   */
  signToken(claims?: JWTPayload): Promise<string>;
  /**
   * Plays the person at the verification URI: enters `userCode` on the issuer's device page,
   * confirms it and signs in as `accountId`, over HTTP as a browser would (cookies included).
   * Resolves once the issuer shows its success page; the CLI's polling then gets its tokens.
   */
  approveDevice(userCode: string, accountId: string): Promise<void>;
  /** Every refresh token issued so far (for tests that check they never leak). */
  issuedRefreshTokens(): string[];
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: Record<string, unknown>;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

/** Starts the issuer and resolves once it is listening. */
export async function startOidcIssuer(options: OidcIssuerOptions): Promise<OidcIssuer> {
  const host = options.host ?? '127.0.0.1';
  const ttl = options.accessTokenTtlSeconds ?? 600;
  const clients = new Map(options.clients.map((c) => [c.clientId, c]));
  const keys: SigningKey[] = [await newSigningKey()];
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let provider: Provider | undefined;
  let hits = 0;
  const people = options.people;
  const accounts = new Map((people?.accounts ?? []).map((a) => [a.id, a]));
  const adapter = memoryAdapterFactory();
  const cookieKeys = [randomUUID()];

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/jwks') hits += 1;
    if (path.startsWith('/interaction/') && provider) {
      interactionPage(provider, accounts, req, res).catch(() => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('sign-in failed; start again');
      });
      return;
    }
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  /** oidc-provider fixes its keystore at construction, so a rotation builds a new provider. */
  const buildProvider = (): void => {
    const agentClients = options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic' as const,
    }));
    const redirects = people?.redirectUris ?? [];
    const peopleClients = people
      ? [
          {
            client_id: people.clientId,
            grant_types: [
              'urn:ietf:params:oauth:grant-type:device_code',
              'refresh_token',
              ...(redirects.length > 0 ? ['authorization_code'] : []),
            ],
            redirect_uris: redirects,
            response_types: redirects.length > 0 ? ['code'] : [],
            token_endpoint_auth_method: 'none' as const,
          },
        ]
      : [];
    const next = new Provider(issuer, {
      adapter,
      cookies: { keys: cookieKeys },
      ttl: {
        ClientCredentials: ttl,
        AccessToken: ttl,
        DeviceCode: 600,
        IdToken: ttl,
        RefreshToken: 86_400,
        Grant: 86_400,
        Session: 86_400,
        Interaction: 600,
      },
      clients: [...agentClients, ...peopleClients],
      // The newest key comes first: oidc-provider signs with the first matching key.
      jwks: { keys: keys.map((k) => k.jwk) },
      claims: { openid: ['sub'], email: ['email'], profile: ['name'], groups: ['groups'] },
      findAccount: async (_ctx, id) => {
        const account = accounts.get(id);
        if (!account) return undefined;
        return {
          accountId: id,
          claims: async () => ({ sub: id, email: account.email, name: id, groups: account.groups }),
        };
      },
      // Nobody is asked for consent: a person's grant covers the people audience and OIDC scopes.
      loadExistingGrant: async (ctx) => {
        const { oidc } = ctx as {
          oidc: { session?: { accountId?: string }; client?: { clientId: string }; provider: Provider };
        };
        const accountId = oidc.session?.accountId;
        if (!accountId || !oidc.client || !people || oidc.client.clientId !== people.clientId)
          return undefined;
        const grant = new oidc.provider.Grant({ clientId: oidc.client.clientId, accountId });
        grant.addOIDCScope('openid email profile groups offline_access');
        grant.addResourceScope(people.audience, 'approvals');
        await grant.save();
        return grant;
      },
      issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        deviceFlow: {
          enabled: people !== undefined,
          userCodeInputSource: async (ctx, form) =>
            page(ctx, 'Sign in', `${form}<button type="submit" form="op.deviceInputForm">Continue</button>`),
          userCodeConfirmSource: async (ctx, form, _client, _info, userCode) =>
            page(
              ctx,
              'Confirm',
              `<p>Is this the code your terminal shows? <code>${userCode}</code></p>${form}<button type="submit" form="op.deviceConfirmForm">Continue</button>`,
            ),
          successSource: async (ctx) =>
            page(ctx, 'Sign-in Success', '<p>You are signed in; go back to your terminal.</p>'),
        },
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx, client) =>
            people && client.clientId === people.clientId ? people.audience : options.audience,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, resource, client) => {
            // Each client gets tokens for its own audience only: an agent never for people's.
            const isPerson = people !== undefined && client.clientId === people.clientId;
            if (isPerson && resource === people.audience) {
              return {
                scope: 'approvals',
                audience: people.audience,
                accessTokenTTL: ttl,
                accessTokenFormat: 'jwt',
              };
            }
            if (!isPerson && resource === options.audience) {
              return { scope: '', audience: options.audience, accessTokenTTL: ttl, accessTokenFormat: 'jwt' };
            }
            throw new errors.InvalidTarget('unknown resource');
          },
        },
      },
      extraTokenClaims: async (_ctx, token) => {
        if (token.accountId) {
          const account = accounts.get(token.accountId);
          return account ? { email: account.email, groups: account.groups } : undefined;
        }
        const client = token.clientId ? clients.get(token.clientId) : undefined;
        return client ? { ...client.extraClaims, groups: client.groups } : undefined;
      },
    });
    provider = next;
    handler = next.callback();
  };
  buildProvider();

  return {
    issuer,
    audience: options.audience,
    jwksHits: () => hits,
    issuedRefreshTokens: () => adapter.ids('RefreshToken'),
    currentKid: () => keys[0]!.kid,
    async rotateKeys() {
      keys.unshift(await newSigningKey());
      buildProvider();
      return keys[0]!.kid;
    },
    async issueToken(clientId) {
      const client = clients.get(clientId);
      if (!client) throw new Error(`oidc issuer: no client ${clientId}`);
      const basic = Buffer.from(
        `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
      ).toString('base64');
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource: options.audience }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (!response.ok || !body.access_token) {
        throw new Error(
          `oidc issuer: token request for ${clientId} failed: ${response.status} ${body.error}`,
        );
      }
      return body.access_token;
    },
    async signToken(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: issuer,
        aud: options.audience,
        sub: 'forged',
        iat: now,
        exp: now + 300,
        ...claims,
      };
      const key = keys[0]!;
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
    },
    async approveDevice(userCode, accountId) {
      if (!people) throw new Error('oidc issuer: started without people (options.people)');
      if (!accounts.has(accountId)) throw new Error(`oidc issuer: no account ${accountId}`);
      await driveDeviceApproval(issuer, userCode, accountId);
    },
    async close() {
      handler = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A minimal HTML page for the device flow's steps (oidc-provider renders into `ctx.body`). */
function page(ctx: unknown, title: string, body: string): void {
  (ctx as { body: string }).body =
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}
