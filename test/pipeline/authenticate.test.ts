import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Authenticator, createAuthenticator } from '../../gateway/authn/authenticator.ts';
import { authenticate } from '../../gateway/pipeline/authenticate.ts';
import { runStage } from '../support/run-stage.ts';

/**
 * authenticate promises: a missing or invalid bearer token is a 401 and the request goes no
 * further (next is never called, so nothing unauthenticated is forwarded); a valid one leaves the
 * verified caller in the context. The refusal says what is wrong without echoing the token.
 * Against the real authenticator and a real OpenID issuer on loopback.
 */

const AUDIENCE = 'https://gateway.test';
let issuer: OidcIssuer;
let authenticator: Authenticator;

beforeAll(async () => {
  issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [{ clientId: 'agent-1', clientSecret: 'agent-1-secret', groups: ['agents', 'deployers'] }],
  });
  authenticator = createAuthenticator([{ issuer: issuer.issuer, audience: AUDIENCE }]);
  await authenticator.ready();
});

afterAll(async () => {
  await issuer?.close();
});

const now = () => Math.floor(Date.now() / 1000);

interface Refusal {
  name: string;
  /** The Authorization header, or a function of the issuer for a token it signed. */
  authorization: string | undefined | (() => Promise<string>);
  refusal: string;
  message: RegExp;
}

const refusals: Refusal[] = [
  {
    name: 'no Authorization header',
    authorization: undefined,
    refusal: 'no bearer token',
    message: /^no bearer token: this gateway needs an OIDC access token/,
  },
  {
    name: 'another scheme (Basic)',
    authorization: 'Basic YWdlbnQ6c2VjcmV0',
    refusal: 'malformed authorization header',
    message: /the Authorization header is not "Bearer <token>"/,
  },
  {
    name: 'Bearer without a token',
    authorization: 'Bearer ',
    refusal: 'malformed authorization header',
    message: /not "Bearer <token>"/,
  },
  {
    name: 'Bearer with two words',
    authorization: 'Bearer abc def',
    refusal: 'malformed authorization header',
    message: /not "Bearer <token>"/,
  },
  {
    name: 'a token that is not a JWT',
    authorization: 'Bearer not-a-jwt',
    refusal: 'invalid token',
    message: /token/,
  },
  {
    name: 'an expired token the issuer really signed',
    authorization: async () =>
      `Bearer ${await issuer.signToken({ sub: 'agent-1', iat: now() - 3600, exp: now() - 1800 })}`,
    refusal: 'invalid token',
    message: /^token expired at /,
  },
  {
    name: 'a token for another audience',
    authorization: async () =>
      `Bearer ${await issuer.signToken({ sub: 'agent-1', aud: 'https://other.test' })}`,
    refusal: 'invalid token',
    message: /audience .* does not match this gateway's audience/,
  },
  {
    name: 'a token from an issuer the gateway does not trust',
    authorization: async () =>
      `Bearer ${await issuer.signToken({ sub: 'agent-1', iss: 'https://evil.test' })}`,
    refusal: 'invalid token',
    message: /issuer/,
  },
];

describe('authenticate refuses', () => {
  it.each(refusals)('$name: 401, next not called', async (row) => {
    const authorization =
      typeof row.authorization === 'function' ? await row.authorization() : row.authorization;
    const run = await runStage(authenticate(authenticator), {
      headers: authorization === undefined ? {} : { authorization },
    });
    expect(run.next.calls).toBe(0);
    expect(run.status).toBe(401);
    expect(run.kubeStatus).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
    expect(run.kubeStatus?.message).toMatch(row.message);
    expect(run.ctx.refusal).toBe(row.refusal);
    expect(run.ctx.caller).toBeUndefined();
    // The token itself (its payload and signature parts) is never echoed back.
    for (const part of (authorization ?? '').replace(/^\w+ +/, '').split('.')) {
      if (part.length > 8) expect(run.body).not.toContain(part);
    }
  });
});

describe('authenticate accepts', () => {
  it.each([
    { name: 'a token from the issuer', scheme: 'Bearer' },
    { name: 'the scheme in any case', scheme: 'bearer' },
  ])('$name: next gets the verified caller', async ({ scheme }) => {
    const token = await issuer.issueToken('agent-1');
    const run = await runStage(authenticate(authenticator), {
      headers: { authorization: `${scheme} ${token}` },
    });
    expect(run.thrown).toBeUndefined();
    expect(run.status).toBe(200);
    expect(run.next.calls).toBe(1);
    expect(run.next.ctx?.caller).toMatchObject({
      issuer: issuer.issuer,
      subject: 'agent-1',
      groups: ['agents', 'deployers'],
    });
    expect(run.next.ctx?.refusal).toBeUndefined();
  });
});
