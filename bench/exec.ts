/**
 * Exec benchmark: a 50 MB `cat` over the WebSocket exec protocol, straight to the sandbox and
 * through the gateway with recording on (the shipped setting: every frame masked and appended to
 * the session's asciicast recording in Redis), in interleaved rounds, best of each. The same
 * gateway without a `recording:` section (masking still on) runs in the same rounds, so what the
 * relay costs and what the recording adds show apart. The client
 * (bench/exec-client.ts) runs in its own process and sends the bytes to `cat`'s stdin and reads
 * them back from its stdout, so both directions go through the relay.
 *
 * The pod is the sandbox's payments/ledger-0, which references Secrets: the gateway masks its
 * exec output against their values (gateway/masking/exec-output.ts), as it would in production.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import { measureRecordingFloor, type RecordingFloor } from './exec-floor.ts';
import { BENCH_AUDIENCE, benchGatewayConfig, gatewayProcess, issueGatewayTls } from './gateway-config.ts';
import { processCpuMs } from './loadgen.ts';
import { minorFaults } from './page-faults.ts';
import {
  freePort,
  fullCollections,
  rssKb,
  shippedGateway,
  startChild,
  startSandboxChild,
  stopChild,
} from './processes.ts';
import { localRedisPid } from './redis-cpu.ts';
import { benchKeyPrefix, deleteKeys, dropNotifyQueueIfMade, notifyQueueExists } from './redis-keys.ts';

const EXEC_PATH =
  '/api/v1/namespaces/payments/pods/ledger-0/exec?command=cat&stdin=true&stdout=true&stderr=true';
const CLIENT = fileURLToPath(new URL('./exec-client.ts', import.meta.url));

export interface ExecBenchResult {
  megabytes: number;
  directMbPerSecond: number;
  gatewayMbPerSecond: number;
  /** Through the recording gateway / straight to the sandbox. */
  ratio: number;
  /** CPU time per MB relayed: the sandbox's when direct, the gateway's when through it. */
  sandboxCpuMsPerMb: number;
  gatewayCpuMsPerMb: number;
  /** Full collections the gateway ran per 100 MB of `cat`, over every copy through it. */
  fullCollectionsPer100Mb: number;
  /** The gateway's RSS before its first `cat` and the most it reached during one, MB. */
  gatewayRssMb: { before: number; peak: number };
  /**
   * CPU time per MB of `cat` in every process a copy keeps busy (each the least over the rounds):
   * the processes share the machine's cores, so the ratio to direct is bounded by how much more
   * CPU a recorded copy takes in all of them, not only in the gateway.
   */
  cpuPerMb: {
    direct: { client: number; sandbox: number };
    /** `redis` when Redis runs on this machine. */
    through: { client: number; sandbox: number; gateway: number; redis?: number };
  };
  /**
   * The same gateway without recording (masking still on), in the same rounds: what relaying
   * alone costs, so the recording's share of the ratio to direct shows.
   */
  unrecorded: {
    gatewayMbPerSecond: number;
    ratio: number;
    cpuPerMb: { client: number; sandbox: number; gateway: number };
  };
  /**
   * Minor page faults per MB of `cat` (each the least over the rounds): the recording gateway's,
   * the gateway's without recording, and Redis's during a recorded copy when it runs here. Where a
   * fault is dear (bench/page-faults.ts), they are much of a process's CPU per MB.
   */
  faultsPerMb: { gateway: number; unrecorded: number; redis?: number };
  /** The least any recording of the copy can cost (bench/exec-floor.ts), measured after the rounds. */
  floor: RecordingFloor;
  /** With `compareTree`: the same gateway as of that tree (an earlier commit), in the same rounds. */
  base?: {
    gatewayMbPerSecond: number;
    ratio: number;
    gatewayCpuMsPerMb: number;
    fullCollectionsPer100Mb: number;
  };
  /** With `compareTree`: now/then ratios of back-to-back pairs of shorter copies (see below). */
  paired?: { throughput: number[]; cpuPerMb: number[] };
}

async function runClient(url: string, ca: string, headers: Record<string, string>, bytes: number) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [CLIENT, JSON.stringify({ url, ca, headers, bytes })],
    { maxBuffer: 1024 * 1024, timeout: 300_000 },
  );
  return JSON.parse(stdout) as { seconds: number; cpuMs: number; stdoutBytes: number };
}

export async function benchExec(options: {
  megabytes: number;
  rounds: number;
  /** Write a CPU profile of the gateway there (exec.cpuprofile). */
  profileDir?: string;
  /** Also run the gateway from this tree (an earlier commit), interleaved in the same rounds. */
  compareTree?: string;
  /**
   * With `compareTree`, also this many pairs of `pairMegabytes` copies through the two gateways
   * back to back (which goes first alternates), one now/then ratio per pair. The best of two
   * 50 MB rounds alone misled: the same commit as now and then read 71 against 55 ms of CPU per
   * MB. The pairs show the spread; even their median of CPU per MB read 0.97–1.52× in five such
   * same-commit runs (the first gateway started spent up to 3× the other's time in V8's worker
   * threads), so only a larger difference, or one in throughput, says something.
   */
  pairs?: number;
  pairMegabytes?: number;
}): Promise<ExecBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-bench-exec-'));
  const keyPrefix = benchKeyPrefix();
  const token = randomBytes(18).toString('hex');
  const sandboxPort = await freePort();
  const kubeconfig = join(dir, 'upstream.kubeconfig');
  const sandbox = await startSandboxChild({ port: sandboxPort, token, kubeconfig, seed: true });
  const issuer = await startOidcIssuer({
    audience: BENCH_AUDIENCE,
    clients: [{ clientId: 'bench-agent', clientSecret: 'bench-secret', groups: ['ai-agents'] }],
    accessTokenTtlSeconds: 3600,
  });
  const port = await freePort();
  const metricsPort = await freePort();
  const baseMetricsPort = await freePort();
  const { tlsDir, caPem: gatewayCa } = await issueGatewayTls(dir);
  await writeFile(
    join(dir, 'hoop.yaml'),
    benchGatewayConfig(
      { port, metricsPort, issuer: issuer.issuer, kubeconfig, tlsDir },
      {
        policy: {
          default: 'deny',
          rules: [
            { name: 'read', action: 'allow', match: { verbs: ['get', 'list', 'watch'] } },
            { name: 'exec', action: 'allow', match: { resources: ['pods/exec'], verbs: ['create', 'get'] } },
          ],
        },
        recording: { redisUrl: redisUrlFromEnv(), keyPrefix },
      },
    ),
  );
  const profileArgs = (name: string): string[] =>
    options.profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
  const nodeArgs = profileArgs('exec');
  const gateway = await startChild(['serve', '--config', join(dir, 'hoop.yaml')], /gateway listening/, {
    ...gatewayProcess({ nodeArgs }),
    script: shippedGateway(),
  });
  const basePort = await freePort();
  const baseConfig = join(dir, 'base.yaml');
  const shipped = parse(await readFile(join(dir, 'hoop.yaml'), 'utf8')) as Record<string, unknown>;
  const unrecordedPort = await freePort();
  const unrecordedMetricsPort = await freePort();
  const unrecordedConfig = { ...shipped };
  delete unrecordedConfig['recording'];
  await writeFile(
    join(dir, 'unrecorded.yaml'),
    stringify({
      ...unrecordedConfig,
      listen: { host: '127.0.0.1', port: unrecordedPort },
      metrics: { listen: { host: '127.0.0.1', port: unrecordedMetricsPort } },
    }),
  );
  const unrecorded = await startChild(
    ['serve', '--config', join(dir, 'unrecorded.yaml')],
    /gateway listening/,
    // The relay alone is profiled too: it takes most of what half of direct leaves a recording.
    { ...gatewayProcess({ nodeArgs: profileArgs('exec-relay') }), script: shippedGateway() },
  );
  await writeFile(
    baseConfig,
    stringify({
      ...shipped,
      listen: { host: '127.0.0.1', port: basePort },
      // A metrics port of its own too: serve exits when it cannot listen on its metrics port.
      metrics: { listen: { host: '127.0.0.1', port: baseMetricsPort } },
      // Sessions of its own: two gateways appending to one session would race for its tail.
      recording: { redisUrl: redisUrlFromEnv(), keyPrefix: `${keyPrefix}:base` },
    }),
  );
  const baseGateway = options.compareTree
    ? await startChild(['serve', '--config', baseConfig], /gateway listening/, {
        script: shippedGateway(options.compareTree),
        ...gatewayProcess(),
      })
    : undefined;
  // Redis's CPU is read from /proc around each copy through a gateway, when it runs here.
  const redis = new Redis(redisUrlFromEnv(), { maxRetriesPerRequest: 1 });
  const redisPid = await localRedisPid(redis).finally(() => redis.disconnect());
  try {
    const upstream = parse(await readFile(kubeconfig, 'utf8')) as {
      clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    };
    const sandboxCa = Buffer.from(
      upstream.clusters[0]!.cluster['certificate-authority-data'],
      'base64',
    ).toString();
    const agentToken = await issuer.issueToken('bench-agent');
    const bytes = options.megabytes * 1024 * 1024;
    let direct = Number.POSITIVE_INFINITY;
    let throughSeconds = Number.POSITIVE_INFINITY;
    let sandboxCpu = Number.POSITIVE_INFINITY;
    let gatewayCpu = Number.POSITIVE_INFINITY;
    let baseThrough = Number.POSITIVE_INFINITY;
    const unrecordedBest = {
      seconds: Number.POSITIVE_INFINITY,
      client: Number.POSITIVE_INFINITY,
      sandbox: Number.POSITIVE_INFINITY,
      gateway: Number.POSITIVE_INFINITY,
      faults: Number.POSITIVE_INFINITY,
    };
    const throughFaults = { gateway: Number.POSITIVE_INFINITY, redis: Number.POSITIVE_INFINITY };
    let baseCpu = Number.POSITIVE_INFINITY;
    let directClientCpu = Number.POSITIVE_INFINITY;
    const throughOthers = {
      client: Number.POSITIVE_INFINITY,
      sandbox: Number.POSITIVE_INFINITY,
      redis: Number.POSITIVE_INFINITY,
    };
    const rssBefore = await rssKb(gateway.pid!);
    let rssPeak = 0;
    const metricsPorts = new Map([
      [port, metricsPort],
      [basePort, baseMetricsPort],
      [unrecordedPort, unrecordedMetricsPort],
    ]);
    /** Per gateway (by its port): full collections during its copies, and the MB copied. */
    const collections = new Map([...metricsPorts.keys()].map((p) => [p, { count: 0, megabytes: 0 }]));
    /**
     * One `cat` through a gateway: its seconds, the gateway's CPU ms and its peak RSS (KB); its
     * full collections meanwhile go into `collections`.
     */
    const through = async (pid: number, gatewayPort: number, size = bytes) => {
      const gatewayMetrics = metricsPorts.get(gatewayPort)!;
      const collectionsBefore = await fullCollections(gatewayMetrics);
      const redisBefore = redisPid ? processCpuMs(redisPid) : 0;
      const sandboxBefore = processCpuMs(sandbox.pid!);
      const faultsBefore = { gateway: minorFaults(pid), redis: redisPid ? minorFaults(redisPid) : 0 };
      const before = processCpuMs(pid);
      let peak = await rssKb(pid);
      const sampler = setInterval(() => {
        rssKb(pid).then(
          (kb) => {
            peak = Math.max(peak, kb);
          },
          () => undefined,
        );
      }, 50);
      const client = await runClient(
        `wss://127.0.0.1:${gatewayPort}/clusters/sandbox${EXEC_PATH}`,
        gatewayCa,
        { authorization: `Bearer ${agentToken}` },
        size,
      ).finally(() => clearInterval(sampler));
      const cpu = processCpuMs(pid) - before;
      const faults = {
        gateway: minorFaults(pid) - faultsBefore.gateway,
        redis: redisPid ? minorFaults(redisPid) - faultsBefore.redis : 0,
      };
      const others = {
        client: client.cpuMs,
        sandbox: processCpuMs(sandbox.pid!) - sandboxBefore,
        redis: redisPid ? processCpuMs(redisPid) - redisBefore : 0,
      };
      const counted = collections.get(gatewayPort)!;
      counted.count += (await fullCollections(gatewayMetrics)) - collectionsBefore;
      counted.megabytes += size / 2 ** 20;
      return { seconds: client.seconds, cpu, faults, others, peakRssKb: peak };
    };
    for (let round = 0; round < options.rounds; round++) {
      const sandboxBefore = processCpuMs(sandbox.pid!);
      const d = await runClient(
        `wss://127.0.0.1:${sandboxPort}${EXEC_PATH}`,
        sandboxCa,
        { authorization: `Bearer ${token}` },
        bytes,
      );
      direct = Math.min(direct, d.seconds);
      sandboxCpu = Math.min(sandboxCpu, processCpuMs(sandbox.pid!) - sandboxBefore);
      directClientCpu = Math.min(directClientCpu, d.cpuMs);
      // Gateways that share a round take turns going first, so none always meets the same load.
      const laterFirst = round % 2 === 1;
      const u0 = laterFirst ? await through(unrecorded.pid!, unrecordedPort) : undefined;
      const b0 = baseGateway && laterFirst ? await through(baseGateway.pid!, basePort) : undefined;
      const g = await through(gateway.pid!, port);
      const b = baseGateway && !laterFirst ? await through(baseGateway.pid!, basePort) : b0;
      const u = u0 ?? (await through(unrecorded.pid!, unrecordedPort));
      unrecordedBest.seconds = Math.min(unrecordedBest.seconds, u.seconds);
      unrecordedBest.gateway = Math.min(unrecordedBest.gateway, u.cpu);
      unrecordedBest.client = Math.min(unrecordedBest.client, u.others.client);
      unrecordedBest.sandbox = Math.min(unrecordedBest.sandbox, u.others.sandbox);
      unrecordedBest.faults = Math.min(unrecordedBest.faults, u.faults.gateway);
      throughFaults.gateway = Math.min(throughFaults.gateway, g.faults.gateway);
      throughFaults.redis = Math.min(throughFaults.redis, g.faults.redis);
      throughSeconds = Math.min(throughSeconds, g.seconds);
      gatewayCpu = Math.min(gatewayCpu, g.cpu);
      for (const part of ['client', 'sandbox', 'redis'] as const)
        throughOthers[part] = Math.min(throughOthers[part], g.others[part]);
      rssPeak = Math.max(rssPeak, g.peakRssKb);
      if (b) {
        baseThrough = Math.min(baseThrough, b.seconds);
        baseCpu = Math.min(baseCpu, b.cpu);
      }
    }
    const floor = await measureRecordingFloor({
      megabytes: options.megabytes,
      redisUrl: redisUrlFromEnv(),
      key: `${keyPrefix}:floor`,
      redisPid,
    });
    const paired = baseGateway ? { throughput: [] as number[], cpuPerMb: [] as number[] } : undefined;
    const pairBytes = (options.pairMegabytes ?? 20) * 1024 * 1024;
    for (let pair = 0; paired && baseGateway && pair < (options.pairs ?? 0); pair++) {
      const thenFirst = pair % 2 === 1;
      const t0 = thenFirst ? await through(baseGateway.pid!, basePort, pairBytes) : undefined;
      const n = await through(gateway.pid!, port, pairBytes);
      const t = t0 ?? (await through(baseGateway.pid!, basePort, pairBytes));
      paired.throughput.push(t.seconds / n.seconds);
      paired.cpuPerMb.push(n.cpu / t.cpu);
    }
    return {
      megabytes: options.megabytes,
      directMbPerSecond: options.megabytes / direct,
      gatewayMbPerSecond: options.megabytes / throughSeconds,
      ratio: direct / throughSeconds,
      sandboxCpuMsPerMb: sandboxCpu / options.megabytes,
      gatewayCpuMsPerMb: gatewayCpu / options.megabytes,
      fullCollectionsPer100Mb: per100Mb(collections.get(port)!),
      gatewayRssMb: { before: rssBefore / 1024, peak: rssPeak / 1024 },
      floor,
      faultsPerMb: {
        gateway: throughFaults.gateway / options.megabytes,
        unrecorded: unrecordedBest.faults / options.megabytes,
        ...(redisPid ? { redis: throughFaults.redis / options.megabytes } : {}),
      },
      unrecorded: {
        gatewayMbPerSecond: options.megabytes / unrecordedBest.seconds,
        ratio: direct / unrecordedBest.seconds,
        cpuPerMb: {
          client: unrecordedBest.client / options.megabytes,
          sandbox: unrecordedBest.sandbox / options.megabytes,
          gateway: unrecordedBest.gateway / options.megabytes,
        },
      },
      cpuPerMb: {
        direct: { client: directClientCpu / options.megabytes, sandbox: sandboxCpu / options.megabytes },
        through: {
          client: throughOthers.client / options.megabytes,
          sandbox: throughOthers.sandbox / options.megabytes,
          gateway: gatewayCpu / options.megabytes,
          ...(redisPid ? { redis: throughOthers.redis / options.megabytes } : {}),
        },
      },
      ...(baseGateway
        ? {
            base: {
              gatewayMbPerSecond: options.megabytes / baseThrough,
              ratio: direct / baseThrough,
              gatewayCpuMsPerMb: baseCpu / options.megabytes,
              fullCollectionsPer100Mb: per100Mb(collections.get(basePort)!),
            },
          }
        : {}),
      ...(paired && paired.throughput.length > 0 ? { paired } : {}),
    };
  } finally {
    if (baseGateway) await stopChild(baseGateway);
    await stopChild(unrecorded);
    await stopChild(gateway);
    await stopChild(sandbox);
    await issuer.close();
    await deleteKeys(`${keyPrefix}:*`);
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const megabytes = Number(process.argv[2] ?? 50);
  const profileDir = process.argv[3];
  // Run alone, it cleans up as bench/run.ts does: the notify queue its sessions' summaries made.
  const notifyQueueBefore = await notifyQueueExists();
  const result = await benchExec({ megabytes, rounds: 2, ...(profileDir ? { profileDir } : {}) });
  await dropNotifyQueueIfMade(notifyQueueBefore);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

function per100Mb({ count, megabytes }: { count: number; megabytes: number }): number {
  return megabytes > 0 ? (count / megabytes) * 100 : 0;
}
