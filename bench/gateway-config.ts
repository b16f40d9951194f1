import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCertificateAuthority, issueServingCertificate } from '../src/tls/certificate-issuer.ts';

/** The audience of the bench issuer's tokens, which every benchmarked gateway accepts. */
export const BENCH_AUDIENCE = 'https://hoop-gateway.bench';

/**
 * Node flags of the gateway process, as the production image runs it (the Dockerfile's ENTRYPOINT;
 * the package-contents test checks the two agree): a young generation of at most 2 × 2 MB, which
 * V8 otherwise grows to tens of MB under a burst of requests and keeps (1,000 held calls: 348 →
 * 237 MB of RSS in the same benchmark, decision latency unchanged). Its effect on CPU per request
 * is not settled: within the noise in one round; in another, the capped gateway used 1.28× and
 * 1.81× the CPU of an uncapped copy in the same rounds (docs/performance.md).
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=2'];

/**
 * The gateway's serving certificate, issued by the bench as cert-manager issues it for the
 * manifests (`tls.certFile`/`keyFile`), into `<dir>/tls`: `tls.crt`, `tls.key` and the CA that
 * clients trust, `ca.crt`.
 */
export async function issueGatewayTls(dir: string): Promise<{ tlsDir: string; caPem: string }> {
  const tlsDir = join(dir, 'tls');
  await mkdir(tlsDir, { recursive: true });
  const ca = await createCertificateAuthority('hoop-gateway bench CA');
  const serving = await issueServingCertificate(ca, ['127.0.0.1', 'localhost']);
  await writeFile(join(tlsDir, 'ca.crt'), ca.certPem);
  await writeFile(join(tlsDir, 'tls.crt'), serving.certPem);
  await writeFile(join(tlsDir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  return { tlsDir, caPem: ca.certPem };
}

/**
 * The hoop.yaml every benchmarked gateway starts from: its port, its certificate
 * ({@link issueGatewayTls}), the bench issuer's tokens, the sandbox as its one cluster, one JSON
 * log line per request and the metrics listener (on a port of its own: several gateways run at
 * once), as deployed. Each part adds its policy and sections (`extra` wins over the base).
 */
export function benchGatewayConfig(
  base: { port: number; metricsPort: number; issuer: string; kubeconfig: string; tlsDir: string },
  extra: Record<string, unknown>,
): string {
  return stringify({
    listen: { host: '127.0.0.1', port: base.port },
    tls: { certFile: join(base.tlsDir, 'tls.crt'), keyFile: join(base.tlsDir, 'tls.key') },
    dataDir: 'data',
    authentication: { issuers: [{ issuer: base.issuer, audience: BENCH_AUDIENCE }] },
    clusters: [{ name: 'sandbox', kubeconfig: { path: base.kubeconfig } }],
    log: { level: 'info' },
    metrics: { listen: { host: '127.0.0.1', port: base.metricsPort } },
    ...extra,
  });
}
