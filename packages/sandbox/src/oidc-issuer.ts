import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { type Adapter, errors, Provider } from 'oidc-provider';

/**
 * A real OpenID provider (oidc-provider 9) on loopback, for tests and the demo: machine clients
 * get JWT access tokens through the client-credentials grant, exactly as an agent or CI job would
 * from a production issuer. Plain http is fine here because it only ever listens on loopback;
 * pass `tls` to serve https instead (to test verification of a private CA).
 *
 * Access tokens carry `iss`, `sub` (= the client id: oidc-provider uses the client id when no
 * account is involved), `aud` (the configured audience, requested as the RFC 8707 `resource`),
 * `exp`, `groups` and any per-client extra claims (a CI context, for example).
 */

export interface OidcIssuerClient {
  clientId: string;
  clientSecret: string;
  groups: string[];
  /** Claims added to every access token of this client, e.g. repository/workflow/ref/actor. */
  extraClaims?: Record<string, unknown>;
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
}

/**
 * JWT access tokens are self-contained and this issuer serves only the client-credentials grant,
 * so there is nothing to store (and oidc-provider's development adapter would warn on every start).
 */
const statelessAdapter: Adapter = {
  upsert: async () => {},
  find: async () => undefined,
  findByUserCode: async () => undefined,
  findByUid: async () => undefined,
  consume: async () => {},
  destroy: async () => {},
  revokeByGrantId: async () => {},
};

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
  let hits = 0;

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/jwks') hits += 1;
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
    const provider = new Provider(issuer, {
      adapter: () => statelessAdapter,
      ttl: { ClientCredentials: ttl },
      clients: options.clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      // The newest key comes first: oidc-provider signs with the first matching key.
      jwks: { keys: keys.map((k) => k.jwk) },
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: async () => options.audience,
          useGrantedResource: async () => true,
          getResourceServerInfo: async (_ctx, resource) => {
            if (resource !== options.audience) throw new errors.InvalidTarget('unknown resource');
            return { scope: '', audience: options.audience, accessTokenTTL: ttl, accessTokenFormat: 'jwt' };
          },
        },
      },
      extraTokenClaims: async (_ctx, token) => {
        const client = token.clientId ? clients.get(token.clientId) : undefined;
        return client ? { ...client.extraClaims, groups: client.groups } : undefined;
      },
    });
    handler = provider.callback();
  };
  buildProvider();

  return {
    issuer,
    audience: options.audience,
    jwksHits: () => hits,
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
    async close() {
      handler = undefined;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
