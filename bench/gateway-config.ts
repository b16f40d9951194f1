import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCertificateAuthority, issueServingCertificate } from '../src/tls/certificate-issuer.ts';

/** The audience of the bench issuer's tokens, which every benchmarked gateway accepts. */
export const BENCH_AUDIENCE = 'https://hoop-gateway.bench';

/**
 * Node flags of the gateway process, as the production image runs it (the Dockerfile's ENTRYPOINT;
 * the package-contents test checks the two agree): semi-spaces of at most 4 MB, which V8 otherwise
 * grows to tens of MB under a burst of requests and keeps (1,000 held calls: ~310 MB uncapped,
 * ~200 MB at 2 or 4, in the same benchmark, decision latency unchanged). 4 rather than 2: in seven
 * runs each, exec's recording gateway spent a median 32 instead of 37 ms of CPU per MB at 4, with
 * 1,000 held calls at a median 202 and 203 MB (docs/performance.md).
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * The image's `MALLOC_CONF` (the package-contents test checks the Dockerfile agrees): jemalloc's
 * background thread gives freed pages back about a second after they fall idle, instead of
 * glibc's malloc keeping a fragmented heap at its peak (docs/performance.md: 1,000 watches closed,
 * 2.8× → 1.7× the RSS before them).
 */
export const GATEWAY_MALLOC_CONF = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';

/** Debian's libjemalloc2 on this machine, where the image has it (`apt-get install libjemalloc2`). */
function jemallocLibrary(): string | undefined {
  const triplet = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[process.arch];
  const path = `/usr/lib/${triplet}-linux-gnu/libjemalloc.so.2`;
  return triplet && existsSync(path) ? path : undefined;
}

/** Where this machine has jemalloc, undefined where it has none (the image-allocator test uses it too). */
export const JEMALLOC = jemallocLibrary();

/**
 * The allocator the measured Node processes run on: jemalloc preloaded as in the image when this
 * machine has it, glibc's malloc otherwise (the bench says which). The bare proxy gets the same
 * allocator, so the gateway's ratios to it are about code, not malloc.
 */
export const BENCH_ALLOCATOR = JEMALLOC
  ? {
      name: 'jemalloc, preloaded as in the image',
      env: { LD_PRELOAD: JEMALLOC, MALLOC_CONF: GATEWAY_MALLOC_CONF },
    }
  : { name: "glibc's malloc: libjemalloc2 is not installed here, the image preloads jemalloc", env: {} };

/** How the bench starts a gateway process: the image's node flags and allocator, plus `extra`. */
export function gatewayProcess(extra: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): {
  nodeArgs: string[];
  env: NodeJS.ProcessEnv;
} {
  return {
    nodeArgs: [...GATEWAY_NODE_FLAGS, ...(extra.nodeArgs ?? [])],
    env: { ...BENCH_ALLOCATOR.env, ...extra.env },
  };
}

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
