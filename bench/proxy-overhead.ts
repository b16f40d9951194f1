import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import { type LoadResult, processCpuMs, runLoad } from './load.ts';
import { freePort, startChild, stopChild } from './processes.ts';

export interface GatewayPath {
  load: LoadResult;
  /** Throughput as a fraction of the direct path's (1.0 = no cost). */
  throughputRatio: number;
  /** p50 latency divided by the direct path's. */
  p50Ratio: number;
  /** CPU time the gateway process spent per proxied request, in microseconds. */
  cpuUsPerRequest: number;
}

export interface ProxyOverhead {
  direct: LoadResult;
  /** The gateway with authentication, policy, masking planning and one log line per request. */
  gateway: GatewayPath;
  /** The same, with session recording on (each request and response appended to Redis). */
  recording: GatewayPath;
}

const AUDIENCE = 'https://hoop-gateway.bench';
const PATH = '/api/v1/namespaces/default/configmaps/web-config';
const best = (rounds: LoadResult[]) =>
  rounds.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));

/**
 * Small GETs straight to the sandbox versus the same GETs through the gateway, with and without
 * recording, in one run, with the sandbox and each gateway in its own process. Rounds alternate
 * (direct, gateway, recording, twice) and the better round of each counts, so a noisy neighbour
 * hurts every path alike.
 */
export async function benchProxyOverhead(options: {
  requests: number;
  concurrency: number;
}): Promise<ProxyOverhead> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-bench-'));
  const token = randomBytes(18).toString('base64url');
  const keyPrefix = `hoop-bench-${randomBytes(4).toString('hex')}`;
  const sandboxPort = await freePort();
  const kubeconfig = join(dir, 'upstream.kubeconfig');
  const sandbox = await startChild(
    ['sandbox', '--port', String(sandboxPort), '--seed', '--token', token, '--kubeconfig-out', kubeconfig],
    /kubeconfig written/,
  );
  const issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [{ clientId: 'bench-agent', clientSecret: 'bench-secret', groups: ['ai-agents'] }],
    accessTokenTtlSeconds: 3600,
  });
  const startGateway = async (name: string, extra: Record<string, unknown>) => {
    const port = await freePort();
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      stringify({
        listen: { host: '127.0.0.1', port },
        dataDir: 'data',
        authentication: { issuers: [{ issuer: issuer.issuer, audience: AUDIENCE }] },
        clusters: [{ name: 'sandbox', kubeconfig: { path: kubeconfig } }],
        policy: {
          default: 'deny',
          rules: [{ name: 'read', action: 'allow', match: { verbs: ['get', 'list'] } }],
        },
        log: { level: 'info' }, // one JSON line per request, as deployed
        ...extra,
      }),
    );
    return { port, child: await startChild(['serve', '--config', file], /gateway listening/) };
  };
  const plain = await startGateway('plain', {});
  const recorded = await startGateway('recording', { recording: { redisUrl: redisUrlFromEnv(), keyPrefix } });
  try {
    const upstream = parse(await readFile(kubeconfig, 'utf8')) as {
      clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    };
    const sandboxCa = Buffer.from(
      upstream.clusters[0]!.cluster['certificate-authority-data'],
      'base64',
    ).toString();
    const gatewayCa = await readFile(join(dir, 'data', 'tls', 'ca.crt'), 'utf8');
    const agent = { authorization: `Bearer ${await issuer.issueToken('bench-agent')}` };
    const direct = () =>
      runLoad({
        url: `https://127.0.0.1:${sandboxPort}${PATH}`,
        ca: sandboxCa,
        headers: { authorization: `Bearer ${token}` },
        ...options,
      });
    const through = (port: number) => () =>
      runLoad({
        url: `https://127.0.0.1:${port}/clusters/sandbox${PATH}`,
        ca: gatewayCa,
        headers: agent,
        ...options,
      });

    const paths = [
      { run: direct, rounds: [] as LoadResult[], pid: undefined, cpuMs: 0 },
      { run: through(plain.port), rounds: [] as LoadResult[], pid: plain.child.pid, cpuMs: 0 },
      { run: through(recorded.port), rounds: [] as LoadResult[], pid: recorded.child.pid, cpuMs: 0 },
    ];
    for (const path of paths) await path.run(); // warm-up: JIT, TLS sessions, JWKS, pools, Redis
    for (let round = 0; round < 2; round++) {
      for (const path of paths) {
        const before = path.pid ? await processCpuMs(path.pid) : 0;
        path.rounds.push(await path.run());
        if (path.pid) path.cpuMs += (await processCpuMs(path.pid)) - before;
      }
    }
    const [d, g, r] = paths.map((p) => best(p.rounds)) as [LoadResult, LoadResult, LoadResult];
    const failed = [d, g, r].reduce((sum, x) => sum + x.errors, 0);
    if (failed > 0) throw new Error(`bench requests failed: ${failed}`);
    const describe = (load: LoadResult, cpuMs: number): GatewayPath => ({
      load,
      throughputRatio: load.requestsPerSecond / d.requestsPerSecond,
      p50Ratio: load.p50Ms / d.p50Ms,
      cpuUsPerRequest: (cpuMs * 1000) / (2 * options.requests),
    });
    return { direct: d, gateway: describe(g, paths[1]!.cpuMs), recording: describe(r, paths[2]!.cpuMs) };
  } finally {
    await stopChild(recorded.child);
    await stopChild(plain.child);
    await stopChild(sandbox);
    await issuer.close();
    await deleteKeys(keyPrefix);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes what the recording gateway left in Redis (SCAN, never KEYS). */
async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrlFromEnv(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
