import { setTimeout as sleep } from 'node:timers/promises';
import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/authn/authenticator.ts';
import { claimsFor, expectRejected, signWithOwnKey } from './forge.ts';

/**
 * How often the gateway fetches the issuer's keys, counted at the issuer: once at start, once per
 * cooldown for unknown key ids (so a flood of forged kids cannot turn the gateway into a JWKS
 * hammer), again after a real rotation, and never for a token it already verified.
 */

const AUDIENCE = 'https://gateway.test';
// Long enough that five rejections fit inside one cooldown even on a loaded two-core machine.
const COOLDOWN_MS = 1_500;
let issuer: OidcIssuer;

beforeEach(async () => {
  issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [{ clientId: 'agent-1', clientSecret: 'secret-1', groups: ['agents'] }],
  });
});

afterEach(async () => {
  await issuer.close();
});

const authenticator = () =>
  createAuthenticator([{ issuer: issuer.issuer, audience: AUDIENCE }], { jwksCooldownMs: COOLDOWN_MS });

describe('JWKS fetching', () => {
  it('refetches for an unknown kid at most once per cooldown', async () => {
    const authn = authenticator();
    await authn.authenticate(await issuer.issueToken('agent-1'));
    expect(issuer.jwksHits()).toBe(1);
    await sleep(COOLDOWN_MS + 50);

    const forged = await Promise.all(
      Array.from({ length: 5 }, () => signWithOwnKey(claimsFor(issuer.issuer, AUDIENCE))),
    );
    for (const token of forged)
      await expectRejected(authn.authenticate(token), 401, /does not publish/, token);
    expect(issuer.jwksHits()).toBe(2);

    await sleep(COOLDOWN_MS + 50);
    await expectRejected(
      authn.authenticate(await signWithOwnKey(claimsFor(issuer.issuer, AUDIENCE))),
      401,
      /kid/,
    );
    expect(issuer.jwksHits()).toBe(3);
  });

  it('accepts tokens signed with a rotated key after one refetch, and old tokens still', async () => {
    const authn = authenticator();
    const before = await issuer.issueToken('agent-1');
    await authn.authenticate(before);
    await sleep(COOLDOWN_MS + 50);

    const oldKid = issuer.currentKid();
    const newKid = await issuer.rotateKeys();
    expect(newKid).not.toBe(oldKid);
    const after = await issuer.issueToken('agent-1');
    expect((await authn.authenticate(after)).subject).toBe('agent-1');
    expect(issuer.jwksHits()).toBe(2);

    const olderButUncached = await issuer.signToken({ sub: 'still-valid' });
    expect((await authn.authenticate(olderButUncached)).subject).toBe('still-valid');
    expect(issuer.jwksHits()).toBe(2);
  });

  // A fresh verification builds a new Caller; getting the very same object back proves a cache hit.
  it('verifies the same token once: N authentications, one JWKS fetch, one cached caller', async () => {
    const authn = authenticator();
    const token = await issuer.issueToken('agent-1');
    const callers = await Promise.all(Array.from({ length: 20 }, () => authn.authenticate(token)));
    for (let i = 0; i < 200; i += 1) callers.push(await authn.authenticate(token));
    expect(new Set(callers).size).toBe(1);
    expect(issuer.jwksHits()).toBe(1);
  });

  it('keeps serving with the keys it has when a background refresh fails', async () => {
    const authn = createAuthenticator([{ issuer: issuer.issuer, audience: AUDIENCE }], {
      jwksRefreshMs: 100,
    });
    await authn.authenticate(await issuer.issueToken('agent-1'));
    const notYetSeen = await issuer.issueToken('agent-1');
    await issuer.close();
    await sleep(150);
    // The refresh is due: it starts in the background, fails, and the known keys stay in use.
    expect((await authn.authenticate(notYetSeen)).subject).toBe('agent-1');
    await sleep(50);
    expect((await authn.authenticate(await issuer.signToken({ sub: 'later' }))).subject).toBe('later');
  });
});
