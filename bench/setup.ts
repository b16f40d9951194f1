import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { parse } from 'yaml';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import {
  BENCH_ALLOCATOR,
  BENCH_AUDIENCE,
  benchGatewayConfig,
  gatewayProcess,
  issueGatewayTls,
} from './gateway-config.ts';
import { freePort, shippedGateway, startChild, startSandboxChild, stopChild } from './processes.ts';
import { benchKeyPrefix, deleteKeys } from './redis-keys.ts';

/** One process under test: where it listens, its pid (for CPU and RSS), how to reach it. */
export interface Endpoint {
  name: string;
  port: number;
  pid: number;
  ca: string;
  /** Path prefix before the Kubernetes path (`/clusters/sandbox` on the gateway). */
  prefix: string;
  /** A gateway's metrics listener (plain HTTP): its V8 heap figures split RSS. */
  metricsPort?: number;
  headers: Record<string, string>;
}

export interface BenchEnv {
  direct: Endpoint;
  bare: Endpoint;
  /** The same bare proxy serving HTTP/2: the floor of the gateway's HTTP/2 path. */
  bareHttp2: Endpoint;
  gateway: Endpoint;
  recording: Endpoint;
  /** With `watchGateway`: a fresh recording gateway of its own for the watch benchmark. */
  watches?: Endpoint;
  /**
   * With `watchGateway`: starts the floor of a watch's client connection, a bare Node server
   * holding each watch open (bench/bare-holder.ts `watch`) on the gateway's Node flags and
   * allocator; a fresh process each time, so no measurement inherits another's memory.
   */
  startWatchFloor?(): Promise<{ endpoint: Endpoint; stop(): Promise<void> }>;
  /** With `compareTree`: the same two gateways run from that tree (an earlier commit). */
  base?: { gateway: Endpoint; recording: Endpoint };
  close(): Promise<void>;
}

const BARE_PROXY = new URL('./bare-proxy.ts', import.meta.url).pathname;
const BARE_HOLDER = new URL('./bare-holder.ts', import.meta.url).pathname;

const ALLOCATION_SAMPLING = new URL('./allocation-sampling.ts', import.meta.url).pathname;

/** Where allocation profiles go, and whether they keep only what survived a young collection. */
export interface AllocationProfiling {
  dir: string;
  survivorsOnly: boolean;
}

/**
 * Node flags and environment that make a process write `<dir>/<name>.cpuprofile` and
 * `<dir>/<name>.heapprofile` when it stops, for the profiles asked for.
 */
function profiling(
  options: { profileDir?: string; allocProfile?: AllocationProfiling },
  name: string,
): { nodeArgs: string[]; env: NodeJS.ProcessEnv } {
  const { profileDir, allocProfile } = options;
  return {
    nodeArgs: [
      ...(profileDir
        ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
        : []),
      ...(allocProfile ? ['--import', ALLOCATION_SAMPLING] : []),
    ],
    env: allocProfile
      ? {
          HOOP_BENCH_ALLOC_PROFILE: join(allocProfile.dir, `${name}.heapprofile`),
          HOOP_BENCH_ALLOC_SURVIVORS: allocProfile.survivorsOnly ? '1' : '0',
        }
      : {},
  };
}

/**
 * Starts everything the benchmark measures, each in its own process: the sandbox API server
 * (direct), a bare Node TLS proxy in front of it (and a second one serving HTTP/2), the gateway
 * without recording and the gateway with recording (the shipped setting), both with one JSON log
 * line per request as deployed. With `profileDir`, each gateway and bare proxy write a CPU profile
 * there when they stop (`--cpu-prof`); with `allocProfile`, an allocation profile
 * (allocation-sampling.ts).
 */
export async function startBenchEnv(
  options: {
    profileDir?: string;
    allocProfile?: AllocationProfiling;
    compareTree?: string;
    watchGateway?: boolean;
  } = {},
): Promise<BenchEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-bench-'));
  const token = randomBytes(18).toString('hex');
  const keyPrefix = benchKeyPrefix();
  const sandboxPort = await freePort();
  const kubeconfig = join(dir, 'upstream.kubeconfig');
  const children: ChildProcess[] = [];
  const sandbox = await startSandboxChild({ port: sandboxPort, token, kubeconfig, seed: true });
  children.push(sandbox);
  const issuer = await startOidcIssuer({
    audience: BENCH_AUDIENCE,
    clients: [{ clientId: 'bench-agent', clientSecret: 'bench-secret', groups: ['ai-agents'] }],
    accessTokenTtlSeconds: 3600,
  });
  if (options.profileDir) await mkdir(options.profileDir, { recursive: true });
  if (options.allocProfile) await mkdir(options.allocProfile.dir, { recursive: true });
  const { tlsDir, caPem: gatewayCa } = await issueGatewayTls(dir);
  const startGateway = async (name: string, extra: Record<string, unknown>, tree?: string) => {
    const port = await freePort();
    const metricsPort = await freePort();
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      benchGatewayConfig(
        { port, metricsPort, issuer: issuer.issuer, kubeconfig, tlsDir },
        {
          policy: {
            default: 'deny',
            rules: [{ name: 'read', action: 'allow', match: { verbs: ['get', 'list', 'watch'] } }],
          },
          ...extra,
        },
      ),
    );
    const child = await startChild(['serve', '--config', file], /gateway listening/, {
      ...gatewayProcess(profiling(options, name)),
      script: shippedGateway(tree),
    });
    children.push(child);
    return { port, pid: child.pid!, metricsPort };
  };
  try {
    const plain = await startGateway('gateway', {});
    const recordingConfig = { recording: { redisUrl: redisUrlFromEnv(), keyPrefix } };
    const recorded = await startGateway('recording', recordingConfig);
    // 1,000 watches come from one address: above the default per-source connection cap (512).
    // Sessions of their own: on the recording gateway's prefix, its close worker took the close
    // jobs of the proxy part's sessions, due an idle gap after that part, while watches were measured.
    const watchConfig = {
      recording: { redisUrl: redisUrlFromEnv(), keyPrefix: `${keyPrefix}:watches` },
      connections: { maxConnectionsPerSource: 4096 },
    };
    const watches = options.watchGateway ? await startGateway('watches', watchConfig) : undefined;
    const tree = options.compareTree;
    const base = tree
      ? {
          gateway: await startGateway('base-gateway', {}, tree),
          // Sessions of its own, as in the exec part: sharing one, each copy's appends found the
          // other's tail on the chain (docs/performance.md, twenty-seventh round).
          recording: await startGateway(
            'base-recording',
            { recording: { redisUrl: redisUrlFromEnv(), keyPrefix: `${keyPrefix}:base` } },
            tree,
          ),
        }
      : undefined;
    const upstream = parse(await readFile(kubeconfig, 'utf8')) as {
      clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    };
    const sandboxCa = Buffer.from(
      upstream.clusters[0]!.cluster['certificate-authority-data'],
      'base64',
    ).toString();
    const caFile = join(dir, 'sandbox-ca.crt');
    await writeFile(caFile, sandboxCa);
    const bareProcess = (name: string) => {
      const { nodeArgs, env } = profiling(options, name);
      return { script: BARE_PROXY, nodeArgs, env: { ...BENCH_ALLOCATOR.env, ...env } };
    };
    const barePort = await freePort();
    const bare = await startChild(
      [String(barePort), String(sandboxPort), tlsDir, caFile],
      /listening/,
      bareProcess('bare-proxy'),
    );
    children.push(bare);
    const bareHttp2Port = await freePort();
    const bareHttp2 = await startChild(
      [String(bareHttp2Port), String(sandboxPort), tlsDir, caFile, 'http2'],
      /listening/,
      bareProcess('bare-proxy-http2'),
    );
    children.push(bareHttp2);
    const sandboxAuth = { authorization: `Bearer ${token}` };
    const startWatchFloor = async () => {
      const port = await freePort();
      const holder = await startChild([String(port), tlsDir, 'watch'], /listening/, {
        ...gatewayProcess(),
        script: BARE_HOLDER,
      });
      children.push(holder);
      const endpoint = {
        name: 'bare server holding watches',
        port,
        pid: holder.pid!,
        ca: gatewayCa,
        prefix: '',
        headers: sandboxAuth,
      };
      return { endpoint, stop: () => stopChild(holder) };
    };
    const agent = { authorization: `Bearer ${await issuer.issueToken('bench-agent')}` };
    const gw = (name: string, g: { port: number; pid: number; metricsPort: number }): Endpoint => ({
      name,
      ...g,
      ca: gatewayCa,
      prefix: '/clusters/sandbox',
      headers: agent,
    });
    return {
      direct: {
        name: 'direct',
        port: sandboxPort,
        pid: sandbox.pid!,
        ca: sandboxCa,
        prefix: '',
        headers: sandboxAuth,
      },
      bare: {
        name: 'bare proxy',
        port: barePort,
        pid: bare.pid!,
        ca: gatewayCa,
        prefix: '',
        headers: sandboxAuth,
      },
      bareHttp2: {
        name: 'bare proxy, HTTP/2',
        port: bareHttp2Port,
        pid: bareHttp2.pid!,
        ca: gatewayCa,
        prefix: '',
        headers: sandboxAuth,
      },
      gateway: gw('gateway', plain),
      recording: gw('gateway + recording', recorded),
      ...(watches ? { watches: gw('gateway + recording (watches)', watches) } : {}),
      ...(options.watchGateway ? { startWatchFloor } : {}),
      ...(base
        ? {
            base: {
              gateway: gw('gateway (base)', base.gateway),
              recording: gw('recording (base)', base.recording),
            },
          }
        : {}),
      async close() {
        for (const child of children.reverse()) await stopChild(child);
        await issuer.close();
        await deleteKeys(`${keyPrefix}:*`);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const child of children.reverse()) await stopChild(child);
    await issuer.close();
    throw error;
  }
}
