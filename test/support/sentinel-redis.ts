import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { RedisAddress, RedisSettings } from '../../src/queues/redis-settings.ts';
import { freePort } from './free-port.ts';
import { killAllRedisProcesses, type RedisProcess, startRedisProcess } from './redis-process.ts';

/**
 * A real Sentinel-managed Redis on loopback: a primary, a replica and three Sentinels (quorum 2),
 * tuned for a drill: the primary is declared down after 1 s of silence and a failover may take
 * a few seconds, not minutes. No persistence: what survives a kill is what was replicated.
 */
export interface SentinelRedis {
  masterName: string;
  sentinels: RedisAddress[];
  /** The `redis:` settings a gateway, bot or test connection uses to reach this primary. */
  settings: RedisSettings;
  /** The same as a `redis:` config section (for hoop.yaml). */
  configSection: { sentinel: { masterName: string; sentinels: string[] } };
  /** The primary the Sentinels name right now. */
  primary(): Promise<RedisAddress>;
  /** SIGKILLs the current primary's process; resolves to its address. */
  killPrimary(): Promise<RedisAddress>;
  /** Resolves once the Sentinels name a primary other than `old` and it accepts writes. */
  waitForFailover(old: RedisAddress, timeoutMs?: number): Promise<RedisAddress>;
  /**
   * Resolves once `old`, a primary demoted while it stayed up, replicates from `promoted`. Sentinel
   * converts it 8 s after the switch; a Sentinel in TILT mode waits 30 s more, so after 20 s the
   * helper points it at the new primary itself, as an operator would.
   */
  waitForDemotion(old: RedisAddress, promoted: RedisAddress): Promise<void>;
  /** Starts a killed node again; resolves once it replicates from the new primary. */
  restart(address: RedisAddress): Promise<void>;
  /** Kills every process and removes the directory. */
  stop(): Promise<void>;
}

const MASTER = 'hoop';

export async function startSentinelRedis(): Promise<SentinelRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-sentinel-'));
  const nodes = new Map<number, RedisProcess>();
  const startNode = async (port: number, replicaOf?: number): Promise<void> => {
    nodes.set(
      port,
      await startRedisProcess({
        dir,
        port,
        config: [
          'repl-diskless-sync yes',
          'repl-diskless-sync-delay 0',
          ...(replicaOf ? [`replicaof 127.0.0.1 ${replicaOf}`] : []),
        ],
      }),
    );
  };
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    await startNode(primaryPort);
    await startNode(replicaPort, primaryPort);
    await waitForReplication(primaryPort, 10_000);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      sentinelPorts.push(port);
      await startRedisProcess({
        dir,
        port,
        sentinel: true,
        config: [
          `sentinel monitor ${MASTER} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${MASTER} 1000`,
          `sentinel failover-timeout ${MASTER} 4000`,
          `sentinel parallel-syncs ${MASTER} 1`,
        ],
      });
    }
    const sentinels = sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
    const askSentinels = async (): Promise<RedisAddress> => {
      let lastError: unknown;
      for (const sentinel of sentinels) {
        const client = new Redis({
          ...sentinel,
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          connectTimeout: 500,
        });
        client.on('error', () => undefined);
        try {
          await client.connect();
          const [host, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', MASTER)) as [
            string,
            string,
          ];
          return { host, port: Number(port) };
        } catch (error) {
          lastError = error;
        } finally {
          client.disconnect();
        }
      }
      throw new Error(`no Sentinel answered: ${String(lastError)}`);
    };
    return {
      masterName: MASTER,
      sentinels,
      settings: { sentinel: { masterName: MASTER, sentinels } },
      configSection: {
        sentinel: { masterName: MASTER, sentinels: sentinels.map((s) => `${s.host}:${s.port}`) },
      },
      primary: askSentinels,
      async killPrimary() {
        const address = await askSentinels();
        const node = nodes.get(address.port);
        if (!node) throw new Error(`the primary ${address.port} is not one of ours`);
        await node.kill();
        return address;
      },
      async waitForFailover(old, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const now = await askSentinels().catch(() => old);
          if (now.port !== old.port && (await acceptsWrites(now.port))) return now;
          if (Date.now() > deadline) throw new Error(`no failover from ${old.port} within ${timeoutMs} ms`);
          await sleep(200);
        }
      },
      async waitForDemotion(old, promoted) {
        const linked = await waitForReplicaLink(old.port, 20_000).then(
          () => true,
          () => false,
        );
        if (linked) return;
        await replicaOf(old.port, promoted.port);
        await waitForReplicaLink(old.port, 20_000).catch(async (error: Error) => {
          throw new Error(`${error.message}: ${await describeTopology(nodes.keys(), askSentinels)}`);
        });
      },
      async restart(address) {
        const node = nodes.get(address.port);
        if (node?.running) return;
        // The node comes back as a replica of the data node that reports itself primary, as an
        // operator (or Sentinel, converting a returned old primary) would make it. Started as a
        // primary and left to Sentinel, it sometimes had not been converted after 65 s (a Sentinel
        // whose timer sees the system clock jump stops acting for 30 s: TILT mode), and pointing
        // it at the new primary afterwards raced the Sentinels' own reconfiguration.
        const others = [...nodes.keys()].filter((port) => port !== address.port);
        const primaryPort = (await primaryAmong(others)) ?? (await askSentinels()).port;
        await startNode(address.port, primaryPort === address.port ? undefined : primaryPort);
        const deadline = Date.now() + 30_000;
        for (;;) {
          const linked = await waitForReplicaLink(address.port, 5_000).then(
            () => true,
            () => false,
          );
          if (linked) return;
          if (Date.now() > deadline) {
            throw new Error(
              `${address.port} did not rejoin as a replica of ${primaryPort}: ${await describeTopology(nodes.keys(), askSentinels)}`,
            );
          }
          // Pointed elsewhere meanwhile (a Sentinel coming out of TILT mode): at the primary again.
          const now = await primaryAmong(others);
          if (now !== undefined) await replicaOf(address.port, now);
        }
      },
      async stop() {
        await killAllRedisProcesses();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await killAllRedisProcesses();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function waitForReplication(primaryPort: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new Redis({ host: '127.0.0.1', port: primaryPort, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    for (;;) {
      const info = await client.info('replication');
      if (/connected_slaves:1/.test(info) && /state=online/.test(info)) return;
      if (Date.now() > deadline) throw new Error('the replica did not come online');
      await sleep(100);
    }
  } finally {
    client.disconnect();
  }
}

async function replicaOf(port: number, primaryPort: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.call('REPLICAOF', '127.0.0.1', String(primaryPort));
  } finally {
    client.disconnect();
  }
}

/** Each data node's role and link, and the primary the Sentinels name: for a failure message. */
async function describeTopology(
  ports: Iterable<number>,
  askSentinels: () => Promise<RedisAddress>,
): Promise<string> {
  const parts: string[] = [];
  for (const port of ports) {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
    client.on('error', () => undefined);
    const info = await client
      .connect()
      .then(() => client.info('replication'))
      .catch((error: Error) => `unreachable (${error.message})`)
      .finally(() => client.disconnect());
    const fields = info.match(/^(role|master_port|master_link_status|connected_slaves):.*$/gm) ?? [info];
    parts.push(`${port} ${fields.join(' ')}`);
  }
  const named = await askSentinels().then(
    (address) => String(address.port),
    (error: Error) => error.message,
  );
  return `${parts.join('; ')}; the Sentinels name ${named}`;
}

/** The port among `ports` whose node reports itself a primary, if one does. */
async function primaryAmong(ports: number[]): Promise<number | undefined> {
  for (const port of ports) {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (/role:master/.test(await client.info('replication'))) return port;
    } catch {
      // Not running: not the primary.
    } finally {
      client.disconnect();
    }
  }
  return undefined;
}

async function waitForReplicaLink(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    for (;;) {
      const info = await client.info('replication').catch(() => '');
      if (/role:slave/.test(info) && /master_link_status:up/.test(info)) return;
      if (Date.now() > deadline) throw new Error(`${port} did not rejoin as a replica`);
      await sleep(200);
    }
  } finally {
    client.disconnect();
  }
}

async function acceptsWrites(port: number): Promise<boolean> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.call('ROLE').then((role) => (role as string[])[0])) === 'master';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
