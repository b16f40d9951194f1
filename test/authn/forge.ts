import { randomUUID } from 'node:crypto';
import {
  base64url,
  type CryptoKey,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  type KeyObject,
  SignJWT,
} from 'jose';
import { expect } from 'vitest';
import { StatusError } from '../../src/errors.ts';

/**
 * What an attacker can do without the issuer's private key, for the authenticator's rejection
 * tests: sign with a key of their own (under the issuer's kid or a new one), send no signature
 * (`alg: none`), or HMAC-sign with the issuer's *public* key (key confusion).
 */

export function claimsFor(issuer: string, audience: string, extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: audience,
    sub: 'mallory',
    groups: ['system:masters'],
    iat: now,
    exp: now + 300,
    ...extra,
  };
}

/** A valid-looking RS256 token signed by a key the issuer never published. */
export async function signWithOwnKey(claims: JWTPayload, kid: string = randomUUID()): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' }).sign(privateKey);
}

/** `alg: none`: header and payload, empty signature. */
export function unsignedToken(claims: JWTPayload, kid?: string): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: 'none', typ: 'JWT', ...(kid ? { kid } : {}) })}.${encode(claims)}.`;
}

/** Fetches the issuer's published JWKS the way any attacker can. */
export async function publishedKeys(issuer: string): Promise<JWK[]> {
  const response = await fetch(`${issuer}/jwks`);
  return ((await response.json()) as { keys: JWK[] }).keys;
}

/** HS256 with the issuer's public key (as PEM) as the HMAC secret: the classic key-confusion token. */
export async function keyConfusionToken(claims: JWTPayload, publicJwk: JWK): Promise<string> {
  const publicKey = (await importJWK({ ...publicJwk, alg: 'RS256' }, 'RS256')) as CryptoKey | KeyObject;
  const pem = await exportSPKI(publicKey);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid ?? '' })
    .sign(new TextEncoder().encode(pem));
}

/** Asserts a rejection with a StatusError of `code` whose message matches and never echoes the token. */
export async function expectRejected(
  promise: Promise<unknown>,
  code: number,
  message: RegExp,
  token?: string,
): Promise<StatusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatusError);
  const status = error as StatusError;
  expect(status.code).toBe(code);
  expect(status.message).toMatch(message);
  if (token) {
    for (const part of token.split('.').filter((p) => p.length > 8))
      expect(status.message).not.toContain(part);
  }
  return status;
}
