import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError, Me } from '../../console/api.types.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { REDIS_URL } from '../support/redis.ts';
import { type Stack, startStack } from '../support/stack.ts';

/**
 * Signing in to the web console with the real authorization code flow (PKCE) against the
 * sandbox's OpenID provider: the cookie's flags, who may view, logout, and what an API caller
 * gets without a session.
 */
let stack: Stack;
let console_: NonNullable<Stack['console']>;

beforeAll(async () => {
  stack = await startStack({
    policy: { default: 'deny', rules: [] },
    console: {},
    config: { recording: {} },
  });
  console_ = stack.console!;
});

afterAll(async () => {
  await stack?.close();
});

describe('console sign-in', () => {
  it('signs a viewer in with the authorization code flow and sets a locked-down session cookie', async () => {
    const alice = new ConsoleClient(console_);
    const login = await alice.get('/auth/login?return=/sessions?agent=agent-1');
    expect(login.status).toBe(302);
    const authorize = new URL(login.headers.location ?? '');
    expect(authorize.origin).toBe(stack.issuer.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${console_.publicUrl}/auth/callback`);
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(String(login.headers['set-cookie'])).toMatch(
      /^__Host-hoop-console-login=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=600$/,
    );

    const fresh = new ConsoleClient(console_);
    const { location, me } = await fresh.signIn(stack.issuer, 'alice', '/sessions?agent=agent-1');
    expect(location).toBe('/sessions?agent=agent-1');
    expect(me).toMatchObject({
      kind: 'Me',
      id: 'alice@example.com',
      subject: 'alice',
      email: 'alice@example.com',
      groups: ['sre'],
      viewer: true,
      publicUrl: console_.publicUrl,
    });
    expect(me.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = fresh.jar.get('__Host-hoop-console');
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh.jar.has('__Host-hoop-console-login')).toBe(false);
    expect(stack.logLines.join('')).toContain('alice@example.com signed in to the console');
  });

  it('sends exactly these cookie flags from the callback', async () => {
    const bob = new ConsoleClient(console_);
    const login = await bob.get('/auth/login');
    const { followIssuer } = await import('../support/console-client.ts');
    const callback = await followIssuer(stack.issuer.issuer, login.headers.location ?? '', 'bob');
    const done = await bob.get(callback.slice(console_.publicUrl.length));
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe('/');
    const cookies = done.headers['set-cookie'] ?? [];
    const session = cookies.find((c) => c.startsWith('__Host-hoop-console='));
    expect(session).toMatch(
      /^__Host-hoop-console=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=28800$/,
    );
    // The login cookie is spent.
    expect(cookies.some((c) => /^__Host-hoop-console-login=; .*Max-Age=0/.test(c))).toBe(true);
    // A second use of the same callback URL (a replayed code) is refused.
    const again = await bob.get(callback.slice(console_.publicUrl.length));
    expect(again.status).toBe(400);
    // A person's browser gets a page that says what happened and links back to sign-in.
    expect(again.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(again.body).toContain('start again at /auth/login');
    expect(again.body).toContain('<a href="/auth/login">Sign in again</a>');
  });

  it('answers an issuer error or a forged callback with a readable page that escapes what it was sent', async () => {
    const person = new ConsoleClient(console_);
    const denied = await person.get(
      '/auth/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    );
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('the issuer refused the sign-in: access_denied');
    expect(denied.body).not.toContain('<script>');
    expect(denied.body).toContain('&#60;script&#62;');
    const forged = await person.get('/auth/callback?code=made-up&state=made-up');
    expect(forged.status).toBe(400);
    expect(forged.body).toContain('this sign-in was not started in this browser');
  });

  it('lets a signed-in person who is in no viewer group see who they are, and nothing else', async () => {
    const mallory = new ConsoleClient(console_);
    const { me } = await mallory.signIn(stack.issuer, 'mallory');
    expect(me).toMatchObject({ id: 'mallory@example.com', viewer: false });
    for (const path of ['/api/v1/sessions', '/api/v1/reviews', '/api/v1/sessions/s-0000000000']) {
      const answer = await mallory.get(path);
      expect(answer.status, path).toBe(403);
      expect(answer.json<ApiError>()).toMatchObject({
        kind: 'Status',
        code: 403,
        reason: 'Forbidden',
        message: 'mallory@example.com may not view the console: it is open to members of sre, platform',
      });
    }
  });

  it('answers an API caller without a session with a 401 Status, never a page or a trace', async () => {
    const stranger = new ConsoleClient(console_);
    for (const path of ['/api/v1/me', '/api/v1/sessions', '/api/v1/reviews/r-abcdef']) {
      const answer = await stranger.get(path);
      expect(answer.status, path).toBe(401);
      expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(answer.json<ApiError>()).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
      expect(answer.body).not.toMatch(/at .*\.ts:\d+/);
    }
    const forged = new ConsoleClient(console_);
    forged.jar.set('__Host-hoop-console', 'A'.repeat(43));
    expect((await forged.get('/api/v1/me')).status).toBe(401);
  });

  it('signs out: the cookie is cleared and the session is gone from Redis, so a copy of it is useless', async () => {
    const carol = new ConsoleClient(console_);
    await carol.signIn(stack.issuer, 'carol');
    const stolen = carol.jar.get('__Host-hoop-console')!;
    const redis = createRequestConnection({ url: REDIS_URL });
    try {
      await whenReady(redis, 5000);
      const before = await redis.keys(`${console_.keyPrefix}:console:session:*`);
      expect(before.length).toBeGreaterThan(0);
      // Redis knows the session by the cookie's hash only: the cookie itself is nowhere in it.
      for (const key of before) {
        expect(key).not.toContain(stolen);
        expect(await redis.get(key)).not.toContain(stolen);
      }
      const out = await carol.post('/auth/logout');
      expect(out.status).toBe(200);
      expect(out.json()).toMatchObject({ kind: 'LoggedOut' });
      expect(String(out.headers['set-cookie'])).toMatch(
        /^__Host-hoop-console=; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=0$/,
      );
      expect(carol.jar.has('__Host-hoop-console')).toBe(false);
      expect(await redis.keys(`${console_.keyPrefix}:console:session:*`)).toHaveLength(before.length - 1);
      const replay = new ConsoleClient(console_);
      replay.jar.set('__Host-hoop-console', stolen);
      expect((await replay.get('/api/v1/me')).status).toBe(401);
      expect(stack.logLines.join('')).toContain('carol@example.com signed out of the console');
    } finally {
      redis.disconnect();
    }
  });

  it('says who may view in Me for a viewer of the platform group', async () => {
    const carol = new ConsoleClient(console_);
    const { me } = await carol.signIn(stack.issuer, 'carol');
    expect(me).toMatchObject<Partial<Me>>({ id: 'carol@example.com', groups: ['platform'], viewer: true });
    expect((await carol.get('/api/v1/sessions')).status).toBe(200);
  });
});
