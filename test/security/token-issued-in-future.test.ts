/**
 * A token's `iat` (issued at) in the future. A token that claims to be issued an hour from now was
 * minted by an issuer whose clock is wrong or by someone backdating nothing: either way the
 * gateway cannot reason about its age, and kube-apiserver's own OIDC authenticator refuses it. It
 * must be a 401 naming `iat`, like `nbf` in the future; within the clock-skew allowance it passes.
 */
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus, gatewayRequest, sandboxRequestsDuring } from '../e2e/helpers.ts';
import { E2E_POLICY } from '../e2e/policy.ts';
import { AUDIENCE, type Stack, startStack } from '../support/stack.ts';

const PODS = '/clusters/sandbox/api/v1/namespaces/payments/pods';
/** The issuer's default clock-skew allowance. */
const SKEW = 30;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ policy: E2E_POLICY });
});
afterAll(async () => {
  await stack?.close();
});

function claims(iatOffset: number): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: stack.issuer.issuer,
    aud: AUDIENCE,
    sub: 'agent-1',
    groups: ['ai-agents'],
    iat: now + iatOffset,
    exp: now + iatOffset + 7200,
  };
}

describe('iat in the future', () => {
  const hostile: Array<[string, number]> = [
    ['an hour ahead', 3600],
    ['a day ahead', 86_400],
    ['just past the skew allowance', SKEW + 15],
  ];

  it.each(hostile)('issued %s → 401 naming iat; nothing forwarded', async (_what, offset) => {
    const token = await stack.issuer.signToken(claims(offset));
    const { result, requests } = await sandboxRequestsDuring(stack, () =>
      gatewayRequest(stack, { path: PODS, token }),
    );
    const status = expectStatus(result, 401, 'Unauthorized');
    expect(status.message).toMatch(/issued/);
    expect(status.message).toMatch(/clock/);
    expect(requests).toEqual([]);
  });

  it.each([
    ['now', 0],
    ['within the skew allowance', SKEW - 10],
    ['in the past', -600],
  ])('control: issued %s → accepted', async (_what, offset) => {
    const token = await stack.issuer.signToken(claims(offset));
    const result = await gatewayRequest(stack, { path: PODS, token });
    expect(result.status, result.body).toBe(200);
  });
});
