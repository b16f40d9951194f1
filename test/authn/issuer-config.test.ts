import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/authn/authenticator.ts';
import { issuerConfigSchema, resolveIssuerConfig } from '../../src/authn/issuer-config.ts';
import { isLoopbackUrl } from '../../src/authn/secure-url.ts';
import { ConfigError } from '../../src/errors.ts';

/** What the configuration can and cannot say: no symmetric or absent signatures, no plain http off loopback. */

const base = { issuer: 'https://issuer.example.com', audience: 'https://gateway.example.com' };

describe('issuerConfigSchema', () => {
  it('accepts https issuers and applies defaults', () => {
    const resolved = resolveIssuerConfig(issuerConfigSchema.parse(base));
    expect(resolved).toMatchObject({
      audience: ['https://gateway.example.com'],
      algorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'],
      clockSkewSeconds: 30,
      subjectClaim: 'sub',
      groupsClaim: 'groups',
      usernamePrefix: '',
      groupsPrefix: '',
    });
  });

  it.each(['none', 'HS256', 'HS512'])('refuses algorithm %s', (alg) => {
    const result = issuerConfigSchema.safeParse({ ...base, algorithms: ['RS256', alg] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/only asymmetric algorithms/);
  });

  it.each([
    'http://issuer.example.com',
    'http://10.0.0.1:8080',
    'http://[::ffff:127.0.0.1]',
    'ftp://127.0.0.1',
    'not a url',
  ])('refuses issuer %s', (issuer) => {
    expect(issuerConfigSchema.safeParse({ ...base, issuer }).success).toBe(false);
  });

  it.each(['http://127.0.0.1:8080', 'http://127.9.9.9', 'http://[::1]:9000', 'http://localhost:1234'])(
    'accepts loopback http issuer %s',
    (issuer) => {
      expect(issuerConfigSchema.safeParse({ ...base, issuer }).success).toBe(true);
    },
  );

  it('refuses a plain http jwksUri off loopback and unknown fields', () => {
    expect(issuerConfigSchema.safeParse({ ...base, jwksUri: 'http://keys.example.com' }).success).toBe(false);
    expect(issuerConfigSchema.safeParse({ ...base, audiences: ['x'] }).success).toBe(false);
  });
});

describe('isLoopbackUrl', () => {
  it('knows loopback from look-alikes', () => {
    expect(isLoopbackUrl(new URL('http://127.0.0.1'))).toBe(true);
    expect(isLoopbackUrl(new URL('http://LOCALHOST'))).toBe(true);
    expect(isLoopbackUrl(new URL('http://localhost.example.com'))).toBe(false);
    expect(isLoopbackUrl(new URL('http://127.0.0.1.nip.io'))).toBe(false);
    expect(isLoopbackUrl(new URL('http://128.0.0.1'))).toBe(false);
  });
});

describe('createAuthenticator configuration errors', () => {
  const configError = (fn: () => unknown): ConfigError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('names the field of the offending issuer', () => {
    const error = configError(() =>
      createAuthenticator([base, { ...base, issuer: 'https://b', algorithms: ['HS256'] }]),
    );
    expect(error.field).toBe('issuers[1].algorithms.0');
  });

  it('refuses an issuer listed twice and an unreadable caFile', () => {
    expect(configError(() => createAuthenticator([base, base])).field).toBe('issuers[1].issuer');
    const error = configError(() => createAuthenticator([{ ...base, caFile: '/nonexistent/ca.pem' }]));
    expect(error.field).toBe('issuers[0].caFile');
  });
});
