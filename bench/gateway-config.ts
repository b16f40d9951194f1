import { stringify } from 'yaml';

/** The audience of the bench issuer's tokens, which every benchmarked gateway accepts. */
export const BENCH_AUDIENCE = 'https://hoop-gateway.bench';

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
