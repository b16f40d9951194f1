import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConsoleSettings } from '../../src/config/console.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadOrCreateLocalTls } from '../../src/tls/local-ca.ts';

/**
 * The console's serving certificate: `console.tls`, else the gateway's `tls`, else the local CA's
 * serving certificate under `<dataDir>/tls` (the same the gateway generates for loopback and
 * `tlsHosts`), so a demo or a single host works without any certificate work.
 */
export async function consoleTls(
  settings: ConsoleSettings,
  gatewayTls: { certFile: string; keyFile: string } | undefined,
  dataDir: string,
  tlsHosts: string[],
): Promise<{ certPem: string; keyPem: string; caPem?: string }> {
  const files = settings.tls ?? gatewayTls;
  const field = settings.tls ? 'console.tls' : 'tls';
  if (files) {
    const read = (file: string, name: string) =>
      readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new ConfigError(`${field}.${name}`, `cannot read ${file}: ${error.code ?? error.message}`);
      });
    return { certPem: await read(files.certFile, 'certFile'), keyPem: await read(files.keyFile, 'keyFile') };
  }
  const hosts = [...new Set(['localhost', '127.0.0.1', '::1', ...tlsHosts])];
  const local = await loadOrCreateLocalTls(join(dataDir, 'tls'), hosts);
  return { ...local.serving, caPem: local.ca.certPem };
}
