import type { ConnectionOptions } from 'node:tls';
import type { ClusterOptions, RedisOptions, SentinelAddress } from 'ioredis';

/**
 * How to reach Redis beyond a URL: which topology (one server, a Sentinel-managed primary, or a
 * Redis Cluster), how to authenticate (an ACL user and password: AUTH, on every data node) and
 * how to verify the server (TLS material). From the config's `redis:` section
 * (config/redis-topology.ts); given to every connection the gateway, bot and CLI open, and so to
 * BullMQ's, which duplicate them.
 *
 * - No `sentinel`, no `cluster`: the section's `redisUrl` names the one server (TLS with
 *   `rediss://`).
 * - `sentinel`: the Sentinels name the current primary of `masterName`; every connection asks them
 *   and follows a failover. `tls` then applies to the data nodes, `sentinel.tls` to the Sentinels.
 * - `cluster`: the seed nodes lead to the rest; keys are routed by slot. `tls` applies to every node.
 */
export interface RedisSettings {
  username?: string | undefined;
  password?: string | undefined;
  tls?: RedisTls | undefined;
  sentinel?: RedisSentinelSettings | undefined;
  cluster?: RedisClusterSettings | undefined;
  /**
   * How long a request-path call retries while Redis is unreachable before it fails, so a held
   * or recorded request rides out a failover (`redis.failoverWait`). Default: 20 s with Sentinel
   * or Cluster, 0 with one server (connections.ts).
   */
  failoverWaitMs?: number | undefined;
  /**
   * Replicas that must acknowledge a decision, a cancellation and the use of a grant, and how long
   * to wait for them (`redis.replicaWait`; redis/replication.ts). Default: 1 replica within 500 ms
   * with Sentinel or Cluster, none with one server.
   */
  replicaWait?: { replicas: number; timeoutMs: number } | undefined;
}

/** TLS material: the CA that signed the server's certificate, a client certificate, the name to verify. */
export interface RedisTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

export interface RedisAddress {
  host: string;
  port: number;
}

export interface RedisSentinelSettings {
  /** The name the Sentinels monitor the primary under (`sentinel monitor <name> …`). */
  masterName: string;
  sentinels: RedisAddress[];
  /** The Sentinels' own ACL user and password (`requirepass` / `user` in sentinel.conf). */
  username?: string | undefined;
  password?: string | undefined;
  /** TLS to the Sentinels (they may use another CA than the data nodes). */
  tls?: RedisTls | undefined;
}

export interface RedisClusterSettings {
  /** Where to start: any reachable nodes; the rest are learnt from `CLUSTER SLOTS`. */
  nodes: RedisAddress[];
  /**
   * Addresses the nodes announce → addresses this process can reach them at, for nodes behind
   * NAT or a port mapping (`"10.0.0.5:6379" → {host, port}`).
   */
  natMap?: Record<string, RedisAddress> | undefined;
  /**
   * Connect to the hostnames as given instead of resolving them first: TLS then verifies the
   * certificate against the hostname (managed services that announce names need this).
   */
  keepHostnames?: boolean | undefined;
}

export type RedisTopology = 'single' | 'sentinel' | 'cluster';

export function topologyOf(settings: RedisSettings | undefined): RedisTopology {
  if (settings?.cluster) return 'cluster';
  if (settings?.sentinel) return 'sentinel';
  return 'single';
}

/**
 * Where a connection goes, for log lines and error messages: the URL with its password hidden,
 * or the Sentinels and master name, or the seed nodes. Never a secret.
 */
export function describeRedis(url: string, settings: RedisSettings | undefined): string {
  if (settings?.cluster) return `cluster ${settings.cluster.nodes.map(addressText).join(',')}`;
  if (settings?.sentinel) {
    const { masterName, sentinels } = settings.sentinel;
    return `sentinel ${masterName} via ${sentinels.map(addressText).join(',')}`;
  }
  return redactRedisUrl(url);
}

/** The URL with its password replaced, for log lines and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}

function addressText(address: RedisAddress): string {
  return `${address.host}:${address.port}`;
}

/**
 * Options for a data-node connection: username and password only when given (a URL's own
 * userinfo otherwise stands), TLS when the topology uses it. ioredis turns TLS on for `rediss://`
 * by itself; the CA here replaces the system store for verifying Redis, never disables
 * verification.
 */
export function dataNodeOptions(url: string, settings: RedisSettings | undefined): RedisOptions {
  const options: RedisOptions = {};
  if (!settings) return options;
  if (settings.username) options.username = settings.username;
  if (settings.password) options.password = settings.password;
  const tlsWanted = settings.sentinel || settings.cluster ? true : url.startsWith('rediss:');
  if (settings.tls && tlsWanted) options.tls = tlsOptions(settings.tls);
  return options;
}

/**
 * Options that make a `Redis` connection find its primary through the Sentinels and follow it:
 * `failoverDetector` listens for `+switch-master` so the connection moves as soon as a failover
 * ends (without it, writes go on landing on a demoted primary that is still up, and are lost
 * when it resyncs), every reconnect asks the Sentinels again (retrying while none answers), and
 * `reconnectOnError` answers a `READONLY` reply (a demoted primary) with a reconnect that asks
 * again and resends the command, which the replica did not run. ioredis 6.0 can end such a
 * connection for good when `+switch-master` arrives mid-reconnect: connections.ts revives it.
 */
export function sentinelOptions(
  sentinel: RedisSentinelSettings,
  settings: RedisSettings,
  retryDelay: (times: number) => number,
): RedisOptions {
  return {
    name: sentinel.masterName,
    sentinels: sentinel.sentinels.map((s): Partial<SentinelAddress> => ({ host: s.host, port: s.port })),
    ...(sentinel.username ? { sentinelUsername: sentinel.username } : {}),
    ...(sentinel.password ? { sentinelPassword: sentinel.password } : {}),
    ...(sentinel.tls ? { sentinelTLS: tlsOptions(sentinel.tls) } : {}),
    ...(settings.tls ? { enableTLSForSentinelMode: true } : {}),
    failoverDetector: true,
    // The Sentinels are asked again on every reconnect; keep asking while none answers.
    sentinelRetryStrategy: retryDelay,
    reconnectOnError: reconnectOnReadonly,
  };
}

/** Options for a `Cluster`: seed nodes aside, how to resolve and map the addresses nodes announce. */
export function clusterOptions(cluster: RedisClusterSettings): ClusterOptions {
  return {
    ...(cluster.natMap ? { natMap: cluster.natMap } : {}),
    ...(cluster.keepHostnames
      ? {
          dnsLookup: (address: string, callback: (error: null, address: string) => void) =>
            callback(null, address),
        }
      : {}),
  };
}

/** `READONLY` means we talk to a demoted primary: reconnect (asking the Sentinels) and resend. */
export function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith('READONLY') ? 2 : false;
}

/**
 * Node's TLS options, which both `tls` and `sentinelTLS` take (ioredis 6.1's `tls` also takes a
 * profile's name).
 */
function tlsOptions(tls: RedisTls): ConnectionOptions {
  const { ca, cert, key, servername } = tls;
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(servername ? { servername } : {}),
  };
}
