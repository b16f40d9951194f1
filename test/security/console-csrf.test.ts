import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ApiError } from '../../console/api.types.ts';
import { rawRequest } from '../approvals-e2e/raw-https.ts';
import { type ApprovalsStack, NAMESPACE_PATH, startApprovalsStack } from '../approvals-e2e/support.ts';
import { ConsoleClient } from '../support/console-client.ts';

/**
 * Cross-site request forgery against the console: a page elsewhere that makes a signed-in
 * approver's browser POST an approval. The session cookie is SameSite=Lax, and on top every
 * state-changing request needs the session's own CSRF token (an HMAC of the cookie secret the
 * page cannot read) and, when the browser says where it comes from, this console's Origin.
 * Each attempt below leaves the review pending; the last, made properly, decides it.
 */
let stack: ApprovalsStack;
let bob: ConsoleClient;
let alice: ConsoleClient;
let id: string;

beforeAll(async () => {
  stack = await startApprovalsStack({ console: {}, review: { approvers: { users: [], groups: ['sre'] } } });
  void rawRequest({
    url: `${stack.clusterUrl()}${NAMESPACE_PATH}`,
    method: 'DELETE',
    token: await stack.issuer.issueToken('agent-1'),
    caPem: stack.gateway.caPem ?? '',
  }).catch(() => undefined);
  id = (await stack.pending())[0]!.id;
  bob = new ConsoleClient(stack.console!);
  await bob.signIn(stack.issuer, 'bob');
  alice = new ConsoleClient(stack.console!);
  await alice.signIn(stack.issuer, 'alice');
});

afterAll(async () => {
  await stack?.close();
});

async function stillPending(): Promise<void> {
  expect((await stack.store.get(id))?.state).toBe('pending');
}

it.each([
  ['no CSRF token', {}],
  ['another session’s CSRF token', { 'x-csrf-token': 'ALICE' }],
  ['a made-up CSRF token', { 'x-csrf-token': 'A'.repeat(43) }],
  ['the right token from a foreign Origin', { 'x-csrf-token': 'BOB', origin: 'https://evil.example' }],
  [
    'the right token from a look-alike Origin',
    { 'x-csrf-token': 'BOB', origin: `${'https://127.0.0.1'}.evil.example` },
  ],
  [
    'the right token, cross-site per Sec-Fetch-Site',
    { 'x-csrf-token': 'BOB', 'sec-fetch-site': 'cross-site' },
  ],
  ['the right token, same-site but another origin', { 'x-csrf-token': 'BOB', 'sec-fetch-site': 'same-site' }],
])('refuses an approval with %s', async (_what, attack: Record<string, string>) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(attack)) {
    headers[name] = value === 'BOB' ? bob.csrf! : value === 'ALICE' ? alice.csrf! : value;
  }
  const answer = await bob.send('POST', `/api/v1/reviews/${id}/approve`, { headers, body: '{}' });
  expect(answer.status).toBe(403);
  expect(answer.json<ApiError>()).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
  await stillPending();
});

it('refuses the form post a cross-site page would send', async () => {
  const answer = await bob.send('POST', `/api/v1/reviews/${id}/approve`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    body: 'reason=pwned',
  });
  expect(answer.status).toBe(403);
  await stillPending();
});

it('changes nothing on GET', async () => {
  const answer = await bob.get(`/api/v1/reviews/${id}/approve`);
  expect(answer.status).toBe(405);
  expect(answer.headers['allow']).toBe('POST');
  await stillPending();
});

it('refuses a forged sign-out, and the session stays', async () => {
  const answer = await bob.send('POST', '/auth/logout', { headers: { origin: 'https://evil.example' } });
  expect(answer.status).toBe(403);
  expect((await bob.get('/api/v1/me')).status).toBe(200);
});

it('decides when the console’s own page asks (token, same Origin)', async () => {
  const answer = await bob.post(`/api/v1/reviews/${id}/approve`, { reason: 'ok' });
  expect(answer.status, answer.body).toBe(200);
  expect((await stack.store.get(id))?.state).toBe('approved');
});
