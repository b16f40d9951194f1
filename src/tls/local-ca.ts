/**
 * A local certificate authority for loopback use: the gateway and the sandbox cluster serve HTTPS
 * with a certificate it issues, and the kubeconfigs they write carry its certificate as
 * `certificate-authority-data`. kubectl never sends a bearer token over plain HTTP, so TLS is not
 * optional even on 127.0.0.1.
 *
 * Keys are ECDSA P-256 (Go's crypto/x509 and Node both accept it) generated with WebCrypto, and
 * certificates are built with @peculiar/x509. PEM in, PEM out: nothing here touches the network.
 */
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect
// metadata polyfill loaded first (documented requirement of @peculiar/x509).
import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/** A certificate and its PKCS#8 private key, both PEM encoded. */
export interface CertificateAndKey {
  certPem: string;
  keyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A positive serial number (high bit clear, as RFC 5280 and Go require), hex encoded. */
function serialNumber(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await globalThis.crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return globalThis.crypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

/** Creates a self-signed CA valid for ten years, allowed to sign certificates only. */
export async function createCertificateAuthority(commonName: string): Promise<CertificateAndKey> {
  const keys = await generateKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 3650 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * Issues a serving certificate for `hosts` (DNS names and IP literals, e.g. `localhost`,
 * `127.0.0.1`, `::1`), valid for one year, with the serverAuth extended key usage Go insists on.
 */
export async function issueServingCertificate(
  ca: CertificateAndKey,
  hosts: string[],
): Promise<CertificateAndKey> {
  if (hosts.length === 0) throw new Error('a serving certificate needs at least one host');
  const caCert = new x509.X509Certificate(ca.certPem);
  const signingKey = await importSigningKey(ca.keyPem);
  const keys = await generateKeys();
  const names = hosts.map((host) => ({ type: isIP(host) ? ('ip' as const) : ('dns' as const), value: host }));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${hosts[0]}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

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
function servingStillGood(serving: CertificateAndKey, ca: CertificateAndKey, hosts: string[]): boolean {
  try {
    const cert = new x509.X509Certificate(serving.certPem);
    const caCert = new x509.X509Certificate(ca.certPem);
    if (cert.issuer !== caCert.subject) return false;
    if (cert.notAfter.getTime() - Date.now() < 7 * DAY_MS) return false;
    const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
    const present = new Set((san?.names.toJSON() ?? []).map((n) => n.value));
    return present.size === new Set(hosts).size && hosts.every((h) => present.has(h));
  } catch {
    return false;
  }
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
    ca = await createCertificateAuthority('hoop-gateway local CA');
    await writePair(dir, 'ca.crt', 'ca.key', ca);
  }
  let serving = await readPair(dir, 'tls.crt', 'tls.key');
  if (!serving || !servingStillGood(serving, ca, hosts)) {
    serving = await issueServingCertificate(ca, hosts);
    await writePair(dir, 'tls.crt', 'tls.key', serving);
  }
  return { ca, serving };
}
