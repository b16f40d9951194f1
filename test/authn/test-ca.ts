import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away private CA and a serving certificate for 127.0.0.1, made with the openssl command
 * line (OpenSSL 3), for tests of an https issuer whose certificate the system store does not
 * trust. Files live in a fresh temporary directory.
 */
export interface TestCertificates {
  dir: string;
  caFile: string;
  cert: string;
  key: string;
}

export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'hoop-authn-ca-'));
  const path = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'];
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.crt'),
    '-subj',
    '/CN=hoop test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  openssl([
    'req',
    '-x509',
    '-CA',
    path('ca.crt'),
    '-CAkey',
    path('ca.key'),
    ...ec,
    '-keyout',
    path('server.key'),
    '-out',
    path('server.crt'),
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-addext',
    'extendedKeyUsage=serverAuth',
    '-addext',
    'basicConstraints=CA:FALSE',
  ]);
  return {
    dir,
    caFile: path('ca.crt'),
    cert: readFileSync(path('server.crt'), 'utf8'),
    key: readFileSync(path('server.key'), 'utf8'),
  };
}
