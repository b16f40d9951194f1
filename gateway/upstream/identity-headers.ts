/**
 * Request headers an upstream may take as a statement of who the caller is, which only the
 * gateway may make. The gateway removes every one a caller sends before forwarding.
 *
 * - kube-apiserver's front-proxy (requestheader) authenticator believes `X-Remote-User`,
 *   `X-Remote-Group`, `X-Remote-Uid` and `X-Remote-Extra-*` (the defaults of
 *   `--requestheader-username-headers`, `-group-headers`, `-uid-headers`,
 *   `-extra-headers-prefix`) from any client presenting a certificate of its front-proxy CA. The
 *   gateway's own upstream credential may be such a certificate, so a caller's `X-Remote-User:
 *   admin` would be believed.
 * - Those flags can name other headers; the ones authenticating proxies commonly set are covered:
 *   `X-Forwarded-User`/`-Groups`/`-Email`/`-Preferred-Username` (oauth2-proxy), every
 *   `X-Auth-Request-*`, `Remote-User`, and client-certificate headers a TLS-terminating proxy
 *   passes on (`X-Forwarded-Client-Cert`, `Ssl-Client-Cert`, `Client-Cert`…).
 * - `X-Forwarded-For`, `X-Real-Ip` and `Forwarded` become the source IPs in the cluster's audit
 *   log; a caller must not write those either.
 *
 * `Authorization` and `Impersonate-*` are handled where the gateway sets its own (headers.ts).
 */

const PREFIXES = ['x-remote-', 'x-forwarded-', 'x-auth-request-'];

const NAMES = new Set([
  'forwarded',
  'x-real-ip',
  'remote-user',
  'x-user',
  'x-email',
  'client-cert',
  'client-cert-chain',
  'x-client-cert',
  'ssl-client-cert',
  'x-ssl-client-cert',
  'x-client-dn',
  'x-ssl-client-dn',
  'x-client-verify',
  'x-ssl-client-verify',
]);

/** True for a (lower-case) header name that makes a claim about the caller's identity. */
export function isIdentityHeader(name: string): boolean {
  return NAMES.has(name) || PREFIXES.some((prefix) => name.startsWith(prefix));
}
