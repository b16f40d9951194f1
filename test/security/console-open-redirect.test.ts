import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConsoleClient } from '../support/console-client.ts';
import { type Stack, startStack } from '../support/stack.ts';

/**
 * Open redirect through sign-in: a link to `/auth/login?return=…` that would bounce a person, right
 * after a genuine sign-in, to a page elsewhere (a look-alike asking for their password again). The
 * console only ever returns to a path on itself; anything else becomes `/`.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ policy: { default: 'deny', rules: [] }, console: {} });
});

afterAll(async () => {
  await stack?.close();
});

it.each([
  'https://evil.example/login',
  '//evil.example/login',
  '/\\evil.example/login',
  '\\\\evil.example',
  '/%2F%2Fevil.example',
  'javascript:alert(document.cookie)',
  '/sessions\r\nLocation: https://evil.example',
  `https://127.0.0.1@evil.example/`,
])('returns to / instead of %j', async (target) => {
  const person = new ConsoleClient(stack.console!);
  const { location } = await person.signIn(stack.issuer, 'alice', target);
  const resolved = new URL(location, stack.console!.publicUrl);
  expect(resolved.origin).toBe(stack.console!.publicUrl);
  expect(location.startsWith('/')).toBe(true);
  expect(location.startsWith('//')).toBe(false);
  if (target !== '/%2F%2Fevil.example') expect(location).toBe('/');
});

it('returns to the page the person came from when it is on the console', async () => {
  const person = new ConsoleClient(stack.console!);
  const { location } = await person.signIn(stack.issuer, 'alice', '/reviews/r-7f3k2q?x=1');
  expect(location).toBe('/reviews/r-7f3k2q?x=1');
});

it('has no return parameter on the callback an attacker could set', async () => {
  const person = new ConsoleClient(stack.console!);
  const login = await person.get('/auth/login?return=/sessions');
  const authorize = new URL(login.headers.location ?? '');
  // Where to return is kept server-side with the pending sign-in, not in the redirect URI.
  expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.console!.publicUrl}/auth/callback`);
  expect(login.headers.location).not.toContain('sessions');
});
