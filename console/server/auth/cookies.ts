/**
 * The console's cookies. The `__Host-` prefix makes the browser refuse them unless they are
 * Secure, for the whole host (Path=/) and without a Domain: a sibling subdomain cannot set or
 * shadow them. HttpOnly keeps them from scripts; SameSite=Lax keeps them off cross-site POSTs.
 */
export const SESSION_COOKIE = '__Host-hoop-console';
export const LOGIN_COOKIE = '__Host-hoop-console-login';

export function setCookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

export function clearCookie(name: string): string {
  return setCookie(name, '', 0);
}
