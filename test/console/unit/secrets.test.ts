import { describe, expect, it } from 'vitest';
import {
  csrfTokenOf,
  isSecretShaped,
  newSecret,
  open,
  sameToken,
  seal,
  secretDigest,
} from '../../../console/server/auth/secrets.ts';

describe('console cookie secrets', () => {
  it('makes 256-bit secrets that never repeat, and stores only their digest', () => {
    const secrets = new Set(Array.from({ length: 1000 }, newSecret));
    expect(secrets.size).toBe(1000);
    for (const secret of secrets) expect(isSecretShaped(secret)).toBe(true);
    const one = [...secrets][0]!;
    expect(secretDigest(one)).toMatch(/^[0-9a-f]{64}$/);
    expect(secretDigest(one)).not.toContain(one);
  });

  it('refuses anything not shaped like a secret before looking it up', () => {
    for (const text of [undefined, '', 'x', `${'A'.repeat(42)}=`, 'A'.repeat(44), `${'A'.repeat(42)}/`])
      expect(isSecretShaped(text)).toBe(false);
  });

  it('seals a value that opens only with the same secret and purpose, and detects tampering', () => {
    const secret = newSecret();
    const sealed = seal(secret, 'refresh token', 'the-refresh-token-value');
    expect(sealed).not.toContain('the-refresh-token-value');
    expect(open(secret, 'refresh token', sealed)).toBe('the-refresh-token-value');
    expect(open(newSecret(), 'refresh token', sealed)).toBeUndefined();
    expect(open(secret, 'pkce verifier', sealed)).toBeUndefined();
    const [iv, tag, body] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(open(secret, 'refresh token', [iv, tag, flipped.toString('base64url')].join('.'))).toBeUndefined();
    expect(open(secret, 'refresh token', 'garbage')).toBeUndefined();
    expect(seal(secret, 'refresh token', 'same')).not.toBe(seal(secret, 'refresh token', 'same'));
  });

  it('derives a CSRF token per session that another session cannot reproduce', () => {
    const a = newSecret();
    const b = newSecret();
    expect(csrfTokenOf(a)).toBe(csrfTokenOf(a));
    expect(csrfTokenOf(a)).not.toBe(csrfTokenOf(b));
    expect(csrfTokenOf(a)).not.toContain(a);
    expect(sameToken(csrfTokenOf(a), csrfTokenOf(a))).toBe(true);
    expect(sameToken(csrfTokenOf(a), csrfTokenOf(b))).toBe(false);
    expect(sameToken(csrfTokenOf(a), '')).toBe(false);
  });
});
