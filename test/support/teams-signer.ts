import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/**
 * Bot Framework's token service, as far as the bot's inbound check needs it: an OpenID metadata
 * document and a JWKS on loopback (`/v1/.well-known/openidconfiguration`, `/v1/.well-known/keys`),
 * and a signer for activity tokens with the published key — or, for negative tests, with a key
 * that is not published but claims the same `kid`.
 */
export interface TeamsSigner {
  /** Give it to `teams.openIdMetadataUrl`. */
  openIdMetadataUrl: string;
  /** Give it to `teams.tokenIssuer`. */
  issuer: string;
  /** A Bot Framework token for an activity on `serviceUrl`, for the bot `appId`. */
  sign(input: {
    appId: string;
    serviceUrl: string;
    issuer?: string;
    expiresIn?: string;
    forged?: boolean;
  }): Promise<string>;
  close(): Promise<void>;
}

export const TEST_ISSUER = 'https://api.botframework.test';

export async function startTeamsSigner(): Promise<TeamsSigner> {
  const real = await generateKeyPair('RS256', { extractable: true });
  const forged = await generateKeyPair('RS256', { extractable: true });
  const kid = 'stand-in-key-1';
  const jwk: JWK = { ...(await exportJWK(real.publicKey)), kid, use: 'sig', alg: 'RS256' };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.setHeader('content-type', 'application/json');
    if (path === '/v1/.well-known/openidconfiguration') {
      res.end(
        JSON.stringify({
          issuer: TEST_ISSUER,
          jwks_uri: `${base}/v1/.well-known/keys`,
          id_token_signing_alg_values_supported: ['RS256'],
        }),
      );
    } else if (path === '/v1/.well-known/keys') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    openIdMetadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    issuer: TEST_ISSUER,
    sign: async (input) =>
      new SignJWT({ serviceurl: input.serviceUrl, appid: 'stand-in-bot-framework' })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(input.issuer ?? TEST_ISSUER)
        .setAudience(input.appId)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime(input.expiresIn ?? '5m')
        .sign(input.forged ? forged.privateKey : real.privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
