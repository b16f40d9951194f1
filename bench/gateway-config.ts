import { stringify } from 'yaml';

/** The audience of the bench issuer's tokens, which every benchmarked gateway accepts. */
export const BENCH_AUDIENCE = 'https://hoop-gateway.bench';

/**
 * Node flags of the gateway process, as the production image runs it (the Dockerfile's ENTRYPOINT;
 * the package-contents test checks the two agree): a young generation of at most 2 × 2 MB, which
 * V8 otherwise grows to tens of MB under a burst of requests and keeps (1,000 held calls: 348 →
 * 237 MB of RSS in the same benchmark, decision latency and CPU per request unchanged).
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=2'];

/**
 * The hoop.yaml every benchmarked gateway starts from: its port, the bench issuer's tokens, the
 * sandbox as its one cluster, and one JSON log line per request as deployed. Each part adds its
 * policy and sections (`extra` wins over the base).
 */
export function benchGatewayConfig(
  base: { port: number; issuer: string; kubeconfig: string },
  extra: Record<string, unknown>,
): string {
  return stringify({
    listen: { host: '127.0.0.1', port: base.port },
    dataDir: 'data',
    authentication: { issuers: [{ issuer: base.issuer, audience: BENCH_AUDIENCE }] },
    clusters: [{ name: 'sandbox', kubeconfig: { path: base.kubeconfig } }],
    log: { level: 'info' },
    ...extra,
  });
}
