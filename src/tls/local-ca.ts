/**
 * A local certificate authority for loopback use: the gateway and the sandbox cluster serve HTTPS
 * with a certificate it issues, and the kubeconfigs they write carry its certificate as
 * `certificate-authority-data`. kubectl never sends a bearer token over plain HTTP, so TLS is not
 * optional even on 127.0.0.1.
 *
 * Certificates already on disk are checked with node:crypto; the issuer (certificate-issuer.ts,
 * which loads @peculiar/x509) is imported only when something has to be issued.
 */
import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { CertificateAndKey } from './certificate-issuer.ts';

export type { CertificateAndKey } from './certificate-issuer.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The CA and the serving certificate it issued, as loaded from or written to a directory. */
export interface LocalTls {
  ca: CertificateAndKey;
  serving: CertificateAndKey;
}

async function readPair(dir: string, cert: string, key: string): Promise<CertificateAndKey | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(dir, cert), 'utf8'),
      readFile(join(dir, key), 'utf8'),
    ]);
    return { certPem, keyPem };
  } catch {
    return undefined;
  }
}

async function writePair(dir: string, cert: string, key: string, pair: CertificateAndKey): Promise<void> {
  await writeFile(join(dir, cert), pair.certPem, { mode: 0o644 });
  await writeFile(join(dir, key), pair.keyPem, { mode: 0o600 });
  // writeFile's mode only applies when the file is created; tighten an existing key file too.
  await chmod(join(dir, key), 0o600);
}

/** True when the serving certificate covers exactly `hosts`, chains to `ca` and lives 7+ more days. */
export function servingStillGood(
  serving: CertificateAndKey,
  ca: CertificateAndKey,
  hosts: string[],
): boolean {
  try {
    const cert = new X509Certificate(serving.certPem);
    const caCert = new X509Certificate(ca.certPem);
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < 7 * DAY_MS) return false;
    const present = new Set(subjectAltNames(cert));
    const wanted = new Set(hosts.map(canonicalHost));
    return present.size === wanted.size && [...wanted].every((h) => present.has(h));
  } catch {
    return false;
  }
}

/**
 * The DNS names and IP addresses of a certificate, from node:crypto's `subjectAltName` text
 * (`DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1`): IPv6 addresses come
 * uncompressed, so each is compared in its canonical form (`::1`).
 */
function subjectAltNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ').flatMap((entry) => {
    if (entry.startsWith('DNS:')) return [entry.slice(4)];
    if (entry.startsWith('IP Address:')) return [canonicalIp(entry.slice(11))];
    return [];
  });
}

function canonicalIp(address: string): string {
  return address.includes(':') ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

/** A configured host as the certificate's names read back: IP literals in canonical form. */
function canonicalHost(host: string): string {
  return isIP(host) ? canonicalIp(host) : host;
}

/**
 * Loads `ca.crt`/`ca.key` and `tls.crt`/`tls.key` from `dir`, creating what is missing. The CA is
 * kept across runs (so kubeconfigs written earlier stay valid); the serving certificate is
 * reissued when the host list changed or it expires within seven days. Keys are written 0600.
 */
export async function loadOrCreateLocalTls(dir: string, hosts: string[]): Promise<LocalTls> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  let ca = await readPair(dir, 'ca.crt', 'ca.key');
  if (!ca) {
    const { createCertificateAuthority } = await import('./certificate-issuer.ts');
    ca = await createCertificateAuthority('hoop-gateway local CA');
    await writePair(dir, 'ca.crt', 'ca.key', ca);
  }
  let serving = await readPair(dir, 'tls.crt', 'tls.key');
  if (!serving || !servingStillGood(serving, ca, hosts)) {
    const { issueServingCertificate } = await import('./certificate-issuer.ts');
    serving = await issueServingCertificate(ca, hosts);
    await writePair(dir, 'tls.crt', 'tls.key', serving);
  }
  return { ca, serving };
}
