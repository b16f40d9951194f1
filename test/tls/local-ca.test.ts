import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificate-issuer.ts';
import { loadOrCreateLocalTls, servingStillGood } from '../../src/tls/local-ca.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Serves TLS with `serving` and connects to `host` trusting only `caPem`; resolves the outcome. */
async function handshake(serving: { certPem: string; keyPem: string }, caPem: string, host: string) {
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<{ authorized: boolean; error?: string }>((resolve) => {
      const socket = connect({ host, port, ca: caPem, ...(isIP(host) ? {} : { servername: host }) }, () => {
        resolve({ authorized: socket.authorized });
        socket.end();
      });
      socket.on('error', (error) => resolve({ authorized: false, error: error.message }));
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('local CA', () => {
  it('issues a serving certificate a client trusting the CA accepts on 127.0.0.1 and ::1', async () => {
    const ca = await createCertificateAuthority('test CA');
    const serving = await issueServingCertificate(ca, ['127.0.0.1', 'localhost', '::1']);
    expect(await handshake(serving, ca.certPem, '127.0.0.1')).toEqual({ authorized: true });
    expect(await handshake(serving, ca.certPem, '::1')).toEqual({ authorized: true });
    const cert = new X509Certificate(serving.certPem);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(360);
  });

  it('is refused by a client that trusts another CA', async () => {
    const ca = await createCertificateAuthority('test CA');
    const other = await createCertificateAuthority('other CA');
    const serving = await issueServingCertificate(ca, ['127.0.0.1']);
    const outcome = await handshake(serving, other.certPem, '127.0.0.1');
    expect(outcome.authorized).toBe(false);
  });

  it('persists the CA and serving pair with private keys 0600 and reuses them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-ca-'));
    dirs.push(dir);
    const first = await loadOrCreateLocalTls(dir, ['127.0.0.1', 'localhost']);
    expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'tls.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(first.ca.certPem);
    const second = await loadOrCreateLocalTls(dir, ['localhost', '127.0.0.1']);
    expect(second).toEqual(first);
    expect(await handshake(second.serving, second.ca.certPem, '127.0.0.1')).toEqual({ authorized: true });
  });

  it('reissues the serving certificate (same CA) when the hosts change or the file is broken', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-ca-'));
    dirs.push(dir);
    const first = await loadOrCreateLocalTls(dir, ['127.0.0.1']);
    const moved = await loadOrCreateLocalTls(dir, ['127.0.0.1', 'gateway.local']);
    expect(moved.ca).toEqual(first.ca);
    expect(moved.serving.certPem).not.toBe(first.serving.certPem);
    expect(new X509Certificate(moved.serving.certPem).subjectAltName).toContain('DNS:gateway.local');
    await writeFile(join(dir, 'tls.crt'), 'not a certificate');
    const repaired = await loadOrCreateLocalTls(dir, ['127.0.0.1', 'gateway.local']);
    expect(repaired.serving.certPem).toContain('BEGIN CERTIFICATE');
    expect(repaired.ca).toEqual(first.ca);
  });

  it('checks certificates on disk without loading the certificate library, and issues with it only when needed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-ca-'));
    dirs.push(dir);
    const hosts = ['127.0.0.1', '::1', 'localhost'];
    await loadOrCreateLocalTls(dir, hosts);
    // A fresh process, as a gateway restarting on the same data directory, listing every module it loads.
    const loads = (wanted: string[]) =>
      execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { registerHooks } from 'node:module';
           const urls = [];
           registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
           const { loadOrCreateLocalTls } = await import(${JSON.stringify(new URL('../../src/tls/local-ca.ts', import.meta.url).href)});
           await loadOrCreateLocalTls(${JSON.stringify(dir)}, ${JSON.stringify(wanted)});
           console.log(urls.some((url) => url.includes('/@peculiar/x509/')));`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(loads(hosts)).toBe('false');
    expect(loads([...hosts, 'gateway.local'])).toBe('true'); // a new host: reissued, with the library
  });
});

describe('servingStillGood', () => {
  it('holds for the CA that issued it and exactly its hosts, IPv6 in any spelling', async () => {
    const ca = await createCertificateAuthority('test CA');
    const serving = await issueServingCertificate(ca, ['127.0.0.1', '::1', 'localhost']);
    expect(servingStillGood(serving, ca, ['localhost', '::1', '127.0.0.1'])).toBe(true);
    expect(servingStillGood(serving, ca, ['localhost', '0:0:0:0:0:0:0:1', '127.0.0.1'])).toBe(true);
    expect(servingStillGood(serving, ca, ['localhost', '127.0.0.1'])).toBe(false);
    expect(servingStillGood(serving, ca, ['localhost', '::1', '127.0.0.1', 'gateway.local'])).toBe(false);
    expect(
      servingStillGood(serving, await createCertificateAuthority('other CA'), [
        'localhost',
        '::1',
        '127.0.0.1',
      ]),
    ).toBe(false);
    expect(servingStillGood({ ...serving, certPem: 'not a certificate' }, ca, ['localhost'])).toBe(false);
  });
});
