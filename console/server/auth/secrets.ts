import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * The console's cookie secrets and what is derived from them. A cookie holds 256 random bits;
 * Redis holds only their SHA-256 (the record's key), so a copy of Redis cannot be replayed as a
 * cookie. What the server must keep but must not hold in plain form (the refresh token, the PKCE
 * verifier) is encrypted with a key derived from the cookie secret: only the browser holding the
 * cookie brings the key with each request. The CSRF token is an HMAC of the cookie secret, so it
 * needs no storage and cannot be computed without the cookie.
 */

/** A new cookie secret, base64url (43 characters). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Shaped like {@link newSecret}'s output; anything else is never looked up. */
export function isSecretShaped(text: string | undefined): text is string {
  return typeof text === 'string' && /^[A-Za-z0-9_-]{43}$/.test(text);
}

/** The Redis key suffix for a secret. */
export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function keyOf(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), '', `hoop-console ${purpose}`, 32));
}

/** AES-256-GCM under a key derived from `secret`; `iv.tag.ciphertext`, base64url. */
export function seal(secret: string, purpose: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

/** The plain text of {@link seal}'s output, or undefined when it does not open under `secret`. */
export function open(secret: string, purpose: string, sealed: string): string | undefined {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body || iv.length !== 12 || tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret, purpose), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The CSRF token of a console session. */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', keyOf(secret, 'csrf')).update('csrf').digest('base64url');
}

/** Compares in constant time. */
export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
