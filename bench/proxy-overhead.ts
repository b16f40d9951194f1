import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startOidcIssuer } from '../sandbox/oidc-issuer.ts';
import { type LoadResult, processCpuMs, runLoad } from './load.ts';
import { freePort, startChild, stopChild } from './processes.ts';

export interface ProxyOverhead {
  direct: LoadResult;
  gateway: LoadResult;
  /** Gateway throughput as a fraction of direct throughput (1.0 = no cost). */
  throughputRatio: number;
  /** Gateway p50 latency divided by direct p50 latency. */
  p50Ratio: number;
  /** CPU time the gateway process spent per proxied request, in microseconds. */
  gatewayCpuUsPerRequest: number;
}

const AUDIENCE = 'https://hoop-gateway.bench';
const PATH = '/api/v1/namespaces/default/configmaps/web-config';

/**
 * Small GETs straight to the sandbox versus the same GETs through the gateway, in one run, with the
 * sandbox and the gateway each in their own process. Rounds alternate (direct, gateway, direct,
 * gateway) and the better round of each counts, so a noisy neighbour hurts both paths alike.
 */
export async function benchProxyOverhead(options: {
  requests: number;
  concurrency: number;
}): Promise<ProxyOverhead> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-bench-'));
  const token = randomBytes(18).toString('base64url');
  const sandboxPort = await freePort();
  const sandbox = await startChild(
    [
      'sandbox',
      '--port',
      String(sandboxPort),
      '--seed',
      '--token',
      token,
      '--kubeconfig-out',
      join(dir, 'upstream.kubeconfig'),
    ],
    /kubeconfig written/,
  );
  const issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [{ clientId: 'bench-agent', clientSecret: 'bench-secret', groups: ['ai-agents'] }],
    accessTokenTtlSeconds: 3600,
  });
  const gatewayPort = await freePort();
  await writeFile(
    join(dir, 'hoop.yaml'),
    stringify({
      listen: { host: '127.0.0.1', port: gatewayPort },
      dataDir: 'data',
      authentication: { issuers: [{ issuer: issuer.issuer, audience: AUDIENCE }] },
      clusters: [{ name: 'sandbox', kubeconfig: { path: 'upstream.kubeconfig' } }],
      policy: {
        default: 'deny',
        rules: [{ name: 'read', action: 'allow', match: { verbs: ['get', 'list'] } }],
      },
      log: { level: 'info' }, // one JSON line per request, as deployed
    }),
  );
  const gateway = await startChild(['serve', '--config', join(dir, 'hoop.yaml')], /gateway listening/, {
    ...process.env,
    HOOP_LOG_LEVEL: 'info',
  });
  try {
    const upstream = parse(await readFile(join(dir, 'upstream.kubeconfig'), 'utf8')) as {
      clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    };
    const sandboxCa = Buffer.from(
      upstream.clusters[0]!.cluster['certificate-authority-data'],
      'base64',
    ).toString();
    const gatewayCa = await readFile(join(dir, 'data', 'tls', 'ca.crt'), 'utf8');
    const agentToken = await issuer.issueToken('bench-agent');
    const direct = () =>
      runLoad({
        url: `https://127.0.0.1:${sandboxPort}${PATH}`,
        ca: sandboxCa,
        headers: { authorization: `Bearer ${token}` },
        ...options,
      });
    const viaGateway = () =>
      runLoad({
        url: `https://127.0.0.1:${gatewayPort}/clusters/sandbox${PATH}`,
        ca: gatewayCa,
        headers: { authorization: `Bearer ${agentToken}` },
        ...options,
      });

    await direct(); // warm-up: JIT, TLS sessions, the gateway's JWKS and connection pool
    await viaGateway();
    const directRounds: LoadResult[] = [];
    const gatewayRounds: LoadResult[] = [];
    let gatewayCpu = 0;
    let gatewayRequests = 0;
    for (let round = 0; round < 2; round++) {
      directRounds.push(await direct());
      const cpuBefore = await processCpuMs(gateway.pid!);
      const result = await viaGateway();
      gatewayCpu += (await processCpuMs(gateway.pid!)) - cpuBefore;
      gatewayRequests += result.requests;
      gatewayRounds.push(result);
    }
    const best = (rounds: LoadResult[]) =>
      rounds.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
    const d = best(directRounds);
    const g = best(gatewayRounds);
    if (d.errors > 0 || g.errors > 0)
      throw new Error(`bench requests failed: direct ${d.errors}, gateway ${g.errors}`);
    return {
      direct: d,
      gateway: g,
      throughputRatio: g.requestsPerSecond / d.requestsPerSecond,
      p50Ratio: g.p50Ms / d.p50Ms,
      gatewayCpuUsPerRequest: (gatewayCpu * 1000) / gatewayRequests,
    };
  } finally {
    await stopChild(gateway);
    await stopChild(sandbox);
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  }
}
