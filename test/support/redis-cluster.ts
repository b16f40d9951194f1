import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';

const run = promisify(execFile);

/**
 * A real six-node Redis Cluster on loopback: `redis-server --cluster-enabled yes` six times, then
 * `redis-cli --cluster create --cluster-replicas 1`, so three masters each with one replica. No
 * persistence; each node's `nodes.conf` lives in a temporary directory removed on stop. Ports are
 * a random block in 20000–22705, so the cluster bus ports (port + 10000) stay below the kernel's
 * ephemeral range; a block that is taken is replaced by another.
 *
 * `cluster-node-timeout` is short (1 s) so a killed master's replica is promoted within a few
 * seconds, which is what the failover tests need.
 */
export interface RedisClusterHarness {
  /** Seed nodes, `127.0.0.1:<port>` each. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** A new ioredis Cluster client (the caller disconnects it). */
  client(options?: ConstructorParameters<typeof Cluster>[1]): Cluster;
  /** The port of the master that serves `key`'s slot right now. */
  masterFor(key: string): Promise<number>;
  /** The port of the replica of the master on `port`. */
  replicaOf(port: number): Promise<number>;
  /** Kills the node on `port` (SIGKILL: a crash, not a shutdown). */
  kill(port: number): Promise<void>;
  /** Freezes the node on `port` (SIGSTOP): it answers nothing, replicates nothing. */
  pause(port: number): void;
  /** Lets a frozen node run again (SIGCONT). */
  resume(port: number): void;
  /** Resolves once a replica has taken over `key`'s slot from the master on `deadPort`. */
  waitForFailover(key: string, deadPort: number, timeoutMs?: number): Promise<number>;
  /** Kills every node and removes the temporary directory. Safe to call twice. */
  stop(): Promise<void>;
}

const NODE_COUNT = 6;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every node still running when the test process exits, even after a failed test. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export async function startRedisCluster(): Promise<RedisClusterHarness> {
  installExitHook();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(20_000 + Math.floor(Math.random() * 2_700));
    } catch (error) {
      if (attempt === 3 || !String(error).includes('Address already in use')) throw error;
    }
  }
}

async function startOn(base: number): Promise<RedisClusterHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'hoop-redis-cluster-'));
  const ports = Array.from({ length: NODE_COUNT }, (_, i) => base + i);
  const children = new Map<number, ChildProcess>();
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...children.values()].map(killChild));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await Promise.all(
      ports.map(async (port) => {
        const child = await startNode(dir, port);
        children.set(port, child);
      }),
    );
    await run('/usr/bin/redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await waitUntil(async () => (await clusterInfo(ports[0]!)).includes('cluster_state:ok'), 20_000);
    // A replica that has not finished its first sync would refuse to take over: wait for all three.
    await waitUntil(async () => {
      const online = await Promise.all(
        ports.map(async (port) => (await cli(port, 'INFO', 'replication')).includes('state=online')),
      );
      return online.filter(Boolean).length === NODE_COUNT / 2;
    }, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }

  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
  const harness: RedisClusterHarness = {
    nodes,
    client: (options) => new Cluster(nodes, { enableReadyCheck: true, ...options }),
    async masterFor(key) {
      const slot = Number((await cli(livePort(children), 'CLUSTER', 'KEYSLOT', key)).trim());
      for (const line of (await cli(livePort(children), 'CLUSTER', 'NODES')).split('\n')) {
        const [, address, flags, , , , , , ...ranges] = line.split(' ');
        if (!flags?.includes('master') || flags.includes('fail')) continue;
        if (ranges.some((range) => inRange(range, slot))) return Number(address!.split(/[:@]/)[1]);
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    async replicaOf(port) {
      const lines = (await cli(livePort(children), 'CLUSTER', 'NODES')).split('\n');
      const master = lines.find((line) => line.split(' ')[1]?.startsWith(`127.0.0.1:${port}@`));
      const id = master?.split(' ')[0];
      const replica = lines.find((line) => id && line.split(' ')[3] === id);
      if (!replica) throw new Error(`no replica of 127.0.0.1:${port}`);
      return Number(replica.split(' ')[1]!.split(/[:@]/)[1]);
    },
    async kill(port) {
      const child = children.get(port);
      children.delete(port);
      if (child) await killChild(child);
    },
    pause(port) {
      children.get(port)?.kill('SIGSTOP');
    },
    resume(port) {
      children.get(port)?.kill('SIGCONT');
    },
    async waitForFailover(key, deadPort, timeoutMs = 30_000) {
      let master = deadPort;
      await waitUntil(async () => {
        master = await harness.masterFor(key).catch(() => deadPort);
        const info = await clusterInfo(livePort(children)).catch(() => '');
        return master !== deadPort && info.includes('cluster_state:ok');
      }, timeoutMs);
      return master;
    },
    stop,
  };
  return harness;
}

async function startNode(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    '/usr/bin/redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--cluster-node-timeout',
      '1000',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} did not start`)), 10_000);
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}: ${seen.slice(-500)}`));
    });
  });
  child.stdout?.resume();
  return child;
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('/usr/bin/redis-cli', ['-p', String(port), ...args]);
  return stdout;
}

function clusterInfo(port: number): Promise<string> {
  return cli(port, 'CLUSTER', 'INFO');
}

function livePort(children: Map<number, ChildProcess>): number {
  const port = children.keys().next().value;
  if (port === undefined) throw new Error('no cluster node is running');
  return port;
}

function inRange(range: string, slot: number): boolean {
  if (range.startsWith('[')) return false;
  const [from, to] = range.split('-').map(Number);
  return slot >= from! && slot <= (to ?? from)!;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
