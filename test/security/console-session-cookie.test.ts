import { afterAll, beforeAll, expect, it } from 'vitest';
import { open } from '../../console/server/auth/secrets.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { REDIS_URL } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';

/**
 * Stealing or forging the console's session cookie. The cookie is 256 random bits; Redis keys the
 * session by its SHA-256 and keeps the refresh token only sealed under a key derived from the
 * cookie, and no access token at all. So a guessed, altered or Redis-derived cookie gets nothing,
 * a copy of Redis cannot be turned into a session or a token, and a signed-out or expired
 * session stays dead. An expired access token is renewed silently with the refresh token.
 */
let stack: Stack;
const redis = createRequestConnection({ url: REDIS_URL, commandTimeoutMs: 5000 });

beforeAll(async () => {
  stack = await startStack({ policy: { default: 'deny', rules: [] }, console: {} });
  await whenReady(redis, 5000);
});

afterAll(async () => {
  await stack?.close();
  redis.disconnect();
});

async function sessionKeys(): Promise<string[]> {
  return redis.keys(`${stack.console!.keyPrefix}:console:session:*`);
}

function withCookie(value: string): ConsoleClient {
  const client = new ConsoleClient(stack.console!);
  client.jar.set('__Host-hoop-console', value);
  return client;
}

it('gives nothing to a guessed, altered or Redis-derived cookie', async () => {
  const alice = new ConsoleClient(stack.console!);
  await alice.signIn(stack.issuer, 'alice');
  const cookie = alice.jar.get('__Host-hoop-console')!;
  const altered = `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`;
  const keys = await sessionKeys();
  const digest = keys.map((key) => key.split(':').pop()!).find(Boolean)!;
  for (const value of ['A'.repeat(43), altered, digest, digest.slice(0, 43), `${cookie}x`]) {
    expect((await withCookie(value).get('/api/v1/me')).status, value).toBe(401);
  }
  // The same cookie under another name is not a session either.
  const renamed = new ConsoleClient(stack.console!);
  renamed.jar.set('hoop-console', cookie);
  expect((await renamed.get('/api/v1/me')).status).toBe(401);
  expect((await withCookie(cookie).get('/api/v1/me')).status).toBe(200);
});

it('ends the earlier sign-in of a browser that signs in again', async () => {
  const alice = new ConsoleClient(stack.console!);
  await alice.signIn(stack.issuer, 'alice');
  const first = alice.jar.get('__Host-hoop-console')!;
  await alice.signIn(stack.issuer, 'alice');
  const second = alice.jar.get('__Host-hoop-console')!;
  expect(second).not.toBe(first);
  expect((await withCookie(first).get('/api/v1/me')).status).toBe(401);
  expect((await withCookie(second).get('/api/v1/me')).status).toBe(200);
});

it('keeps no token in Redis in plain form: the refresh token opens only with the cookie', async () => {
  const bob = new ConsoleClient(stack.console!);
  await bob.signIn(stack.issuer, 'bob');
  const cookie = bob.jar.get('__Host-hoop-console')!;
  const refreshTokens = stack.issuer.issuedRefreshTokens();
  expect(refreshTokens.length).toBeGreaterThan(0);
  let found = 0;
  for (const key of await sessionKeys()) {
    const text = (await redis.get(key)) ?? '';
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./); // no JWT (access or ID token)
    for (const token of refreshTokens) expect(text).not.toContain(token);
    const session = JSON.parse(text) as { refresh?: string; approver: { id: string } };
    if (session.approver.id !== 'bob@example.com') continue;
    found += 1;
    expect(session.refresh).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(open('A'.repeat(43), 'refresh token', session.refresh!)).toBeUndefined();
    expect(refreshTokens).toContain(open(cookie, 'refresh token', session.refresh!));
  }
  expect(found).toBe(1);
});

it('renews an expired access token silently with the refresh token, and ends a session past its lifetime', async () => {
  const carol = new ConsoleClient(stack.console!);
  await carol.signIn(stack.issuer, 'carol');
  const keyOf = async () => {
    for (const key of await sessionKeys()) {
      const session = JSON.parse((await redis.get(key)) ?? '{}') as { approver?: { id: string } };
      if (session.approver?.id === 'carol@example.com') return key;
    }
    throw new Error('no session of carol');
  };
  const key = await keyOf();
  const before = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
  // The access token "expired": the next request must refresh before it answers.
  await redis.set(key, JSON.stringify({ ...before, refreshAt: Date.now() - 1000 }), 'KEEPTTL');
  const me = await carol.get('/api/v1/me');
  expect(me.status).toBe(200);
  const after = JSON.parse((await redis.get(key))!) as Record<string, unknown>;
  expect(after['refreshAt']).toBeGreaterThan(Date.now());
  expect(after['refresh']).not.toBe(before['refresh']);
  expect(stack.logLines.join('')).toContain("carol@example.com's console sign-in was renewed");

  // A sealed refresh token that no longer opens (as if Redis were edited) ends the session.
  await redis.set(
    key,
    JSON.stringify({ ...after, refreshAt: Date.now() - 1000, refresh: 'a.b.c' }),
    'KEEPTTL',
  );
  expect((await carol.get('/api/v1/me')).status).toBe(401);
  expect(await redis.exists(key)).toBe(0);

  // Past its lifetime a session is over, whatever Redis still holds.
  const dave = new ConsoleClient(stack.console!);
  await dave.signIn(stack.issuer, 'approver-1');
  for (const k of await sessionKeys()) {
    const session = JSON.parse((await redis.get(k)) ?? '{}') as { approver?: { id: string } };
    if (session.approver?.id === 'approver-1@example.com')
      await redis.set(k, JSON.stringify({ ...session, expiresAt: Date.now() - 1 }), 'KEEPTTL');
  }
  expect((await dave.get('/api/v1/me')).status).toBe(401);
});
