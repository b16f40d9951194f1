import type { ServerResponse } from 'node:http';

/**
 * Headers on every console response. The CSP allows only the console's own origin for scripts,
 * styles, images, fonts and fetches (no inline script, no third-party asset), and no framing at
 * all; the rest keep the browser from sniffing types, leaking URLs in Referer, or being framed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // asciinema-player (the exec replay) emulates the terminal in WebAssembly, which a CSP allows only
  // with 'wasm-unsafe-eval': it permits compiling WebAssembly, not JavaScript eval.
  "script-src 'self' 'wasm-unsafe-eval'",
  "base-uri 'none'",
  "object-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('strict-transport-security', 'max-age=31536000');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=()');
}
