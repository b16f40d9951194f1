import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authenticator, createAuthenticator } from '../../gateway/authn/authenticator.ts';
import {
  claimsFor,
  expectRejected,
  keyConfusionToken,
  publishedKeys,
  signWithOwnKey,
  unsignedToken,
} from './forge.ts';

/**
 * The authenticator against a real oidc-provider on loopback: a real client-credentials token is
 * accepted, and every forgery or claim problem is a 401 whose message helps without echoing the
 * token.
 */

const AUDIENCE = 'https://gateway.test';
let issuer: OidcIssuer;
let stranger: OidcIssuer;
let authn: Authenticator;

beforeAll(async () => {
  issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [
      { clientId: 'agent-1', clientSecret: 'secret-1', groups: ['agents', 'deployers'] },
      {
        clientId: 'ci-job',
        clientSecret: 'secret-2',
        groups: ['ci'],
        extraClaims: { repository: 'acme/shop', workflow: 'deploy', ref: 'refs/heads/main', actor: 'alice' },
      },
    ],
  });
  stranger = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [{ clientId: 'agent-1', clientSecret: 'x', groups: ['agents'] }],
  });
  authn = createAuthenticator([{ issuer: issuer.issuer, audience: AUDIENCE, clockSkewSeconds: 30 }]);
  await authn.ready();
});

afterAll(async () => {
  await issuer?.close();
  await stranger?.close();
});

describe('a valid token', () => {
  it('becomes a Caller with subject = client id and groups', async () => {
    const caller = await authn.authenticate(await issuer.issueToken('agent-1'));
    expect(caller.issuer).toBe(issuer.issuer);
    expect(caller.subject).toBe('agent-1');
    expect(caller.groups).toEqual(['agents', 'deployers']);
    expect(caller.claims['aud']).toBe(AUDIENCE);
  });

  it('keeps the CI context claims', async () => {
    const caller = await authn.authenticate(await issuer.issueToken('ci-job'));
    expect(caller.claims).toMatchObject({ repository: 'acme/shop', workflow: 'deploy', actor: 'alice' });
  });

  it('is accepted with nbf in the future within the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    const caller = await authn.authenticate(await issuer.signToken({ sub: 'skewed', nbf: now + 10 }));
    expect(caller.subject).toBe('skewed');
  });

  it('applies username and groups prefixes, and reads a space/comma separated groups string', async () => {
    const prefixed = createAuthenticator([
      { issuer: issuer.issuer, audience: AUDIENCE, usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' },
    ]);
    const caller = await prefixed.authenticate(await issuer.signToken({ sub: 'bot', groups: 'a, b c' }));
    expect(caller.subject).toBe('oidc:bot');
    expect(caller.groups).toEqual(['oidc:a', 'oidc:b', 'oidc:c']);
  });
});

describe('rejected with 401', () => {
  it('a signature made by another key under the issuer kid', async () => {
    const token = await signWithOwnKey(claimsFor(issuer.issuer, AUDIENCE), issuer.currentKid());
    await expectRejected(authn.authenticate(token), 401, /signature does not verify/, token);
  });

  it('an expired token, saying when and what to do', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.signToken({ iat: now - 900, exp: now - 120 });
    await expectRejected(authn.authenticate(token), 401, /token expired at .*fetch a new token/, token);
  });

  it('a token not yet valid beyond the skew', async () => {
    const token = await issuer.signToken({ nbf: Math.floor(Date.now() / 1000) + 120 });
    await expectRejected(authn.authenticate(token), 401, /not valid before/, token);
  });

  it('a token for another audience', async () => {
    const token = await issuer.signToken({ aud: 'https://other.example' });
    await expectRejected(authn.authenticate(token), 401, /audience .* does not match/, token);
  });

  it('a token from a real issuer the gateway does not trust', async () => {
    const token = await stranger.issueToken('agent-1');
    await expectRejected(authn.authenticate(token), 401, /issuer .* is not trusted/, token);
  });

  it('alg none, with and without the issuer kid', async () => {
    for (const kid of [undefined, issuer.currentKid()]) {
      const token = unsignedToken(claimsFor(issuer.issuer, AUDIENCE), kid);
      await expectRejected(authn.authenticate(token), 401, /algorithm the gateway does not accept/, token);
    }
  });

  it('HS256 signed with the issuer public key (key confusion)', async () => {
    const [jwk] = await publishedKeys(issuer.issuer);
    const token = await keyConfusionToken(claimsFor(issuer.issuer, AUDIENCE), jwk!);
    await expectRejected(authn.authenticate(token), 401, /algorithm the gateway does not accept/, token);
  });

  it('a key id the issuer never published', async () => {
    const token = await signWithOwnKey(claimsFor(issuer.issuer, AUDIENCE));
    await expectRejected(authn.authenticate(token), 401, /does not publish/, token);
  });

  it('a token without exp', async () => {
    const token = await issuer.signToken({ exp: undefined });
    await expectRejected(authn.authenticate(token), 401, /only accepts tokens that expire/, token);
  });

  it('a token without a subject', async () => {
    const token = await issuer.signToken({ sub: undefined });
    await expectRejected(authn.authenticate(token), 401, /no "sub" claim/, token);
  });

  it('a malformed groups claim', async () => {
    const token = await issuer.signToken({ groups: [1, 2] });
    await expectRejected(authn.authenticate(token), 401, /"groups" must be a list of strings/, token);
  });

  it('something that is not a JWT, or nothing', async () => {
    await expectRejected(authn.authenticate('not-a-jwt'), 401, /not a JWT/);
    await expectRejected(authn.authenticate(''), 401, /no bearer token/);
  });
});
