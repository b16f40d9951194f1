import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/authn/authenticator.ts';
import { IssuerUnavailableError } from '../../gateway/authn/issuer-fetch.ts';
import { claimsFor, expectRejected, signWithOwnKey } from './forge.ts';
import { createTestCertificates } from './test-ca.ts';

/**
 * When the issuer cannot be read: 503 with Retry-After (the token may be fine), backoff instead of
 * one discovery attempt per request, recovery once the issuer is back, and the checks that keep a
 * man in the middle of discovery from substituting keys.
 */

const AUDIENCE = 'https://gateway.test';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function issuerOn(port = 0, tls?: { cert: string; key: string }): Promise<OidcIssuer> {
  const issuer = await startOidcIssuer({
    port,
    audience: AUDIENCE,
    clients: [{ clientId: 'agent-1', clientSecret: 'secret-1', groups: ['agents'] }],
    ...(tls ? { tls } : {}),
  });
  cleanups.push(() => issuer.close());
  return issuer;
}

describe('an issuer that cannot be read', () => {
  it('gives 503 with Retry-After, backs off, and recovers when the issuer comes back', async () => {
    let hits = 0;
    const port = await listen(
      createServer((_req, res) => {
        hits += 1;
        res.writeHead(500).end();
      }),
    );
    const issuerUrl = `http://127.0.0.1:${port}`;
    const authn = createAuthenticator([{ issuer: issuerUrl, audience: AUDIENCE }], { retryInitialMs: 300 });
    const token = await signWithOwnKey(claimsFor(issuerUrl, AUDIENCE));

    const first = await expectRejected(
      authn.authenticate(token),
      503,
      /cannot fetch the signing keys/,
      token,
    );
    expect(first.headers['Retry-After']).toBe('1');
    expect((first.cause as Error).message).toMatch(/openid-configuration answered HTTP 500/);
    for (let i = 0; i < 5; i += 1) await expectRejected(authn.authenticate(token), 503, /retry in/);
    expect(hits).toBe(1);
    await expect(authn.ready()).rejects.toThrow(IssuerUnavailableError);
    expect(hits).toBe(1);

    // The real issuer takes over the same address; after the backoff its tokens verify.
    await cleanups.shift()?.();
    const issuer = await issuerOn(port);
    await sleep(350);
    await authn.ready();
    expect((await authn.authenticate(await issuer.issueToken('agent-1'))).subject).toBe('agent-1');
  });

  it('names the unreachable issuer when ready() is awaited at start', async () => {
    const port = await listen(createServer());
    await cleanups.shift()?.();
    const authn = createAuthenticator([{ issuer: `http://127.0.0.1:${port}`, audience: AUDIENCE }]);
    await expect(authn.ready()).rejects.toThrow(new RegExp(`127.0.0.1:${port}.*ECONNREFUSED`));
  });
});

describe('discovery checks', () => {
  it('refuses a discovery document that names another issuer', async () => {
    const issuer = await issuerOn();
    const alias = issuer.issuer.replace('127.0.0.1', 'localhost');
    const authn = createAuthenticator([{ issuer: alias, audience: AUDIENCE }]);
    await expect(authn.ready()).rejects.toThrow(/names issuer .* expected exactly/);
  });

  it('skips discovery when jwksUri is configured', async () => {
    const issuer = await issuerOn();
    const alias = issuer.issuer.replace('127.0.0.1', 'localhost');
    const authn = createAuthenticator([
      { issuer: alias, audience: AUDIENCE, jwksUri: `${issuer.issuer}/jwks` },
    ]);
    await authn.ready();
    expect((await authn.authenticate(await issuer.signToken({ iss: alias }))).issuer).toBe(alias);
  });

  it('verifies an https issuer signed by a private CA given as caFile, and not without it', async () => {
    const certs = createTestCertificates();
    cleanups.push(() => rmSync(certs.dir, { recursive: true, force: true }));
    const issuer = await issuerOn(0, certs);
    expect(issuer.issuer).toMatch(/^https:/);
    const trusting = createAuthenticator([
      { issuer: issuer.issuer, audience: AUDIENCE, caFile: certs.caFile },
    ]);
    expect((await trusting.authenticate(await issuer.signToken({ sub: 'tls' }))).subject).toBe('tls');

    const untrusting = createAuthenticator([{ issuer: issuer.issuer, audience: AUDIENCE }]);
    await expect(untrusting.ready()).rejects.toThrow(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate/);
  });
});
