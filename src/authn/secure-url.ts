import { isIP } from 'node:net';

/**
 * Which URLs the gateway and the token plugin may fetch OpenID metadata, keys and tokens from:
 * https anywhere, plain http only on loopback. Over plain http a man in the middle of discovery
 * or of the key set could substitute keys and mint any token, and one in the middle of the token
 * request could read the client secret; on loopback nothing off the machine can see the traffic.
 *
 * Kept apart from the configuration schema so that the exec credential plugin, which kubectl
 * starts for every command, does not load a validation library just to check one URL.
 */

/**
 * True for http(s) URLs whose host is loopback: 127.0.0.0/8, ::1 or `localhost`. Only there is
 * plain http acceptable, because nothing off the machine can see or alter the traffic.
 */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return isIP(host) === 6 && host === '::1';
}

/**
 * Why a URL the gateway fetches keys from is not acceptable, or undefined if it is: https
 * anywhere, http only on loopback (a man in the middle of key discovery could mint any token).
 */
export function insecureUrlReason(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackUrl(url)) return undefined;
  return 'must be https (plain http is only allowed on loopback: 127.0.0.0/8, ::1, localhost)';
}
