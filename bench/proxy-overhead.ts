import { type LoadResult, runLoad } from './load.ts';
import type { BenchEnv, Endpoint } from './setup.ts';

export const PATH = '/api/v1/namespaces/default/configmaps/web-config';

export interface PathResult {
  name: string;
  load: LoadResult;
  /** CPU the process under test (sandbox, bare proxy or gateway) spent per request, µs. */
  cpuUsPerRequest: number;
  /** Of that, its main thread's; the rest is V8's helper threads' (mostly the collector's). */
  mainThreadUsPerRequest: number;
  /**
   * CPU per request, µs, of every process the path keeps busy: the load generator, the sandbox
   * (the process under test when direct), the proxy or gateway in front of it, and Redis for a
   * recording gateway (when Redis runs on this machine). They share the machine's cores.
   */
  busyUsPerRequest: { generator: number; sandbox: number; proxy: number; redis?: number };
  /** Page faults per request in the process under test, and in Redis for a recording gateway. */
  faultsPerRequest: { own: number; redis?: number };
}

export interface ProxyOverhead {
  direct: PathResult;
  bare: PathResult;
  gateway: PathResult;
  recording: PathResult;
  /**
   * The recording gateway again, each connection sending a `Kubectl-Session` of its own (as many
   * kubectl processes would): as many sessions as connections, whose appends are not grouped.
   */
  recordingSessions: PathResult;
  /** The gateway without recording again, from one HTTP/2 connection carrying the same load. */
  gatewayHttp2: PathResult;
  /** The bare proxy serving HTTP/2, from the same client: the floor of `gatewayHttp2`. */
  bareHttp2: PathResult;
  /** The gateways of the `--compare` tree, when there is one (its recording both ways). */
  base?: { gateway: PathResult; recording: PathResult; recordingSessions: PathResult };
  /** With a `--compare` tree: now/then ratios from short back-to-back pairs (see pairedRatios). */
  paired?: { gateway: PairedRatios; recording: PairedRatios; recordingSessions: PairedRatios };
}

/** Now/then ratios of one path, one per pair of back-to-back rounds. */
export interface PairedRatios {
  throughput: number[];
  cpuPerRequest: number[];
}

/**
 * Small GETs of one ConfigMap, over `connections` keep-alive connections from a load generator
 * in its own process, on four paths in one run: straight to the sandbox, through a bare Node TLS
 * proxy, through the gateway without recording and with recording. Rounds are interleaved
 * (every path once per round) and the best round of each path counts — with its own CPU per
 * request — so a noisy neighbour hurts every path alike. The gateway without recording is also
 * measured from a client that sends the same load as streams on one HTTP/2 connection, as
 * kubectl and client-go do, beside the bare proxy serving HTTP/2 to the same client.
 */
export async function benchProxyOverhead(
  env: BenchEnv,
  options: {
    connections: number;
    seconds: number;
    rounds: number;
    pairs: number;
    /** Redis's pid, when it runs on this machine: its CPU is charged to the recording paths. */
    redisPid?: number;
  },
): Promise<ProxyOverhead> {
  const recordings = new Set([env.recording, env.base?.recording]);
  const endpoints = [env.direct, env.bare, env.gateway, env.recording];
  if (env.base) endpoints.push(env.base.gateway, env.base.recording);
  const rounds = new Map<Endpoint, PathResult[]>(endpoints.map((e) => [e, []]));
  const overHttp2: PathResult[] = [];
  const bareOverHttp2: PathResult[] = [];
  const sessions: PathResult[] = [];
  const baseSessions: PathResult[] = [];
  const once = async (
    endpoint: Endpoint,
    seconds: number,
    http2 = false,
    sessionPerConnection = false,
  ): Promise<PathResult> => {
    const direct = endpoint === env.direct;
    const redis = recordings.has(endpoint) ? options.redisPid : undefined;
    const load = await runLoad({
      ...(http2 ? { http2 } : {}),
      ...(sessionPerConnection ? { sessionPerConnection } : {}),
      host: '127.0.0.1',
      port: endpoint.port,
      path: endpoint.prefix + PATH,
      ca: endpoint.ca,
      headers: endpoint.headers,
      connections: options.connections,
      warmupSeconds: 0.5,
      seconds,
      pids: [endpoint.pid, ...(direct ? [] : [env.direct.pid]), ...(redis ? [redis] : [])],
    });
    if (load.errors > 0) throw new Error(`${endpoint.name}: ${load.errors} requests failed`);
    const perRequest = (ms: number) => (ms * 1000) / load.requests;
    const [own, sandbox, redisMs] = direct ? [load.cpuMs[0]!, load.cpuMs[0]!] : load.cpuMs;
    const redisFaults = redis ? load.faults[load.faults.length - 1] : undefined;
    return {
      name: endpoint.name,
      load,
      cpuUsPerRequest: perRequest(own!),
      mainThreadUsPerRequest: perRequest(load.mainThreadCpuMs),
      busyUsPerRequest: {
        generator: perRequest(load.ownCpuMs),
        sandbox: perRequest(sandbox!),
        proxy: direct ? 0 : perRequest(own!),
        ...(redisMs !== undefined ? { redis: perRequest(redisMs) } : {}),
      },
      faultsPerRequest: {
        own: load.faults[0]! / load.requests,
        ...(redisFaults !== undefined ? { redis: redisFaults / load.requests } : {}),
      },
    };
  };
  // JIT, TLS, JWKS, pools, Redis scripts, and V8 settled: see WARM_UP_REQUESTS.
  for (const endpoint of endpoints) await warmUp(once, endpoint);
  await warmUp(once, env.bareHttp2, true);
  await warmUp(once, env.gateway, true);
  for (let round = 0; round < options.rounds; round++) {
    for (const endpoint of endpoints) rounds.get(endpoint)!.push(await once(endpoint, options.seconds));
    sessions.push(await once(env.recording, options.seconds, false, true));
    if (env.base) baseSessions.push(await once(env.base.recording, options.seconds, false, true));
    bareOverHttp2.push(await once(env.bareHttp2, options.seconds, true));
    overHttp2.push(await once(env.gateway, options.seconds, true));
  }
  const paired = env.base
    ? {
        gateway: await pairedRatios(once, env.gateway, env.base.gateway, options.pairs),
        recording: await pairedRatios(once, env.recording, env.base.recording, options.pairs),
        recordingSessions: await pairedRatios(
          (endpoint, seconds) => once(endpoint, seconds, false, true),
          env.recording,
          env.base.recording,
          options.pairs,
        ),
      }
    : undefined;
  const fastest = (results: PathResult[]) =>
    results.reduce((a, b) => (b.load.requestsPerSecond > a.load.requestsPerSecond ? b : a));
  const best = (endpoint: Endpoint) => fastest(rounds.get(endpoint)!);
  return {
    direct: best(env.direct),
    bare: best(env.bare),
    gateway: best(env.gateway),
    recording: best(env.recording),
    recordingSessions: fastest(sessions),
    gatewayHttp2: fastest(overHttp2),
    bareHttp2: fastest(bareOverHttp2),
    ...(env.base
      ? {
          base: {
            gateway: best(env.base.gateway),
            recording: best(env.base.recording),
            recordingSessions: fastest(baseSessions),
          },
        }
      : {}),
    ...(paired ? { paired } : {}),
  };
}

/**
 * Requests each path serves before it is measured. A process's CPU per request falls over its
 * first tens of thousands of requests, while V8 compiles its hot paths and its collector settles
 * (a fresh recording gateway promoted 220–270 KB per young collection at first, 37–44 KB once
 * warm). In 2 s rounds from a fresh start: the recording gateway 412, 321, 250, then 219–245 µs;
 * the gateway 207, 149, then 111–121; the bare proxy 112, then 76–83. The targets are about a
 * gateway in service, so every path serves this many first (or for at most WARM_UP_SECONDS).
 */
export const WARM_UP_REQUESTS = 40_000;
const WARM_UP_SECONDS = 12;

async function warmUp(
  once: (endpoint: Endpoint, seconds: number, http2?: boolean) => Promise<PathResult>,
  endpoint: Endpoint,
  http2 = false,
): Promise<void> {
  const started = performance.now();
  let served = 0;
  while (served < WARM_UP_REQUESTS && performance.now() - started < WARM_UP_SECONDS * 1000)
    served += (await once(endpoint, 1, http2)).load.requests;
}

/**
 * Before/after for one path as `pairs` pairs of short rounds, the two copies back to back (which
 * goes first alternates), one now/then ratio per pair. The interleaved rounds above put ~30 s
 * between the two copies of a path, over which this machine's speed drifts: three same-run
 * comparisons of one change read 0.85–1.18× the CPU per request. Within a pair the two rounds
 * are seconds apart, and the median of the pairs' ratios is what a drift of a few pairs moves least.
 */
async function pairedRatios(
  once: (endpoint: Endpoint, seconds: number) => Promise<PathResult>,
  now: Endpoint,
  then: Endpoint,
  pairs: number,
): Promise<PairedRatios> {
  const ratios: PairedRatios = { throughput: [], cpuPerRequest: [] };
  for (let pair = 0; pair < pairs; pair++) {
    const first = pair % 2 === 0 ? now : then;
    const a = await once(first, 2);
    const b = await once(first === now ? then : now, 2);
    const [n, t] = first === now ? [a, b] : [b, a];
    ratios.throughput.push(n.load.requestsPerSecond / t.load.requestsPerSecond);
    ratios.cpuPerRequest.push(n.cpuUsPerRequest / t.cpuUsPerRequest);
  }
  return ratios;
}

/** Median and range of a set of ratios, as `1.03x (0.91–1.12x over 10 pairs)`. */
export function describeRatios(ratios: readonly number[]): string {
  const sorted = [...ratios].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return `${median.toFixed(2)}x (${sorted[0]!.toFixed(2)}–${sorted.at(-1)!.toFixed(2)}x over ${sorted.length} pairs)`;
}
