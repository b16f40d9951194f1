import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { RedisAddress, RedisSettings, RedisTls } from '../queues/redis-settings.ts';

/**
 * The `redis:` section of `hoop.yaml`: which Redis topology every connection uses (approvals,
 * recording, queues, the bot, the CLI's break-glass and session commands), how it authenticates
 * and how it checks the servers. docs/deploy.md compares the three topologies.
 *
 * ```yaml
 * redis:
 *   username: hoop-gateway              # an ACL user on the data nodes (docs/security.md lists its rules)
 *   password: ${REDIS_PASSWORD}         # from the environment / a Secret, never written here
 *   tls:                                # the data nodes: with rediss:// URLs, or any sentinel/cluster
 *     ca: /etc/hoop/redis/ca.crt        # CA that signed Redis' certificate
 *     cert: /etc/hoop/redis/client.crt  # client certificate, when Redis requires one
 *     key: /etc/hoop/redis/client.key
 *     servername: redis.hoop.svc        # the name to verify, when not the host connected to
 *   sentinel:                           # a Sentinel-managed primary (instead of redisUrl)
 *     masterName: hoop
 *     sentinels: [redis-0.redis-sentinel:26379, redis-1.redis-sentinel:26379, redis-2.redis-sentinel:26379]
 *     username: sentinel-user           # the Sentinels' own credentials, when they require them
 *     password: ${REDIS_SENTINEL_PASSWORD}
 *     tls: { ca: /etc/hoop/redis/sentinel-ca.crt }
 *   cluster:                            # or a Redis Cluster (instead of redisUrl)
 *     nodes: [redis-cluster-0.redis-cluster:6379, redis-cluster-1.redis-cluster:6379]
 *     natMap: { "10.0.0.5:6379": "redis-0.example.net:6379" }
 *     keepHostnames: true               # connect to names as given (TLS verifies the name)
 *   failoverWait: 20s                   # calls wait this long for a new primary (default: 20s with
 *                                       # sentinel or cluster, 0 with one server: fail at once)
 *   replicaWait:                        # decisions and grant use wait for replicas (WAIT); default
 *     replicas: 1                       # 1 with sentinel or cluster, 0 (off) with one server
 *     timeout: 500ms
 * ```
 *
 * The files are read once at start-up (relative paths against the config file's directory). A
 * `tls:` block with a `redis://` URL is a configuration error, and so is a `redisUrl` beside
 * `sentinel:` or `cluster:`: settings that silently do not apply would be worse than none.
 */
const tlsSchema = z
  .strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    servername: z.string().min(1).optional(),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: 'give cert and key together (a client certificate needs its key)',
  });

/** `host:port`, a hostname or IPv4 address (IPv6 in brackets: `[::1]:26379`). */
const addressSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. redis-0.redis:26379');

const sentinelSchema = z.strictObject({
  masterName: z.string().min(1),
  sentinels: z.array(addressSchema).min(1),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  tls: tlsSchema.optional(),
});

const clusterSchema = z.strictObject({
  nodes: z.array(addressSchema).min(1),
  natMap: z.record(addressSchema, addressSchema).optional(),
  keepHostnames: z.boolean().optional(),
});

export const redisTopologySchema = z
  .strictObject({
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    tls: tlsSchema.optional(),
    sentinel: sentinelSchema.optional(),
    cluster: clusterSchema.optional(),
    failoverWait: z
      .string()
      .regex(/^\d+(ms|s|m)$/, 'a duration such as 500ms, 20s or 1m')
      .optional(),
    replicaWait: z
      .strictObject({
        replicas: z.number().int().min(0).max(16),
        timeout: z
          .string()
          .regex(/^\d+(ms|s)$/, 'a duration such as 250ms or 1s')
          .default('500ms'),
      })
      .optional(),
  })
  .refine((r) => !(r.sentinel && r.cluster), {
    message: 'give sentinel or cluster, not both (a Redis Cluster has its own failover)',
  });

export type RedisTopologySection = z.infer<typeof redisTopologySchema>;

/**
 * The section resolved: files read, addresses parsed. `urls` are the sections' `redisUrl`s:
 * `given` when written in the file (a URL beside sentinel/cluster is refused), `used` when the
 * section is on (a `tls:` block needs its URL to be `rediss://`).
 */
export async function resolveRedisTopology(
  section: RedisTopologySection | undefined,
  dir: string,
  urls: Array<{ field: string; url: string; used: boolean; given: boolean }>,
  durationMs: (text: string) => number,
): Promise<RedisSettings> {
  if (!section) return {};
  const settings: RedisSettings = {};
  if (section.failoverWait !== undefined) settings.failoverWaitMs = durationMs(section.failoverWait);
  if (section.replicaWait) {
    const timeoutMs = durationMs(section.replicaWait.timeout);
    if (section.replicaWait.replicas > 0 && (timeoutMs < 1 || timeoutMs > 1000)) {
      throw new ConfigError(
        'redis.replicaWait.timeout',
        'between 1ms and 1s: the writing connection is blocked while it waits',
      );
    }
    settings.replicaWait = { replicas: section.replicaWait.replicas, timeoutMs };
  }
  if (section.username) settings.username = section.username;
  if (section.password) settings.password = section.password;
  const topology = section.sentinel ? 'sentinel' : section.cluster ? 'cluster' : undefined;
  for (const { field, url, used, given } of urls) {
    if (topology && given) {
      throw new ConfigError(field, `redis.${topology} is set, which says where Redis is: remove ${field}`);
    }
    if (!topology && section.tls && used && !url.startsWith('rediss://')) {
      throw new ConfigError(field, 'redis.tls is set, so this must be a rediss:// URL');
    }
  }
  if (section.tls) settings.tls = await readTls(section.tls, dir, 'redis.tls');
  if (section.sentinel) {
    const { masterName, sentinels, username, password, tls } = section.sentinel;
    settings.sentinel = {
      masterName,
      sentinels: sentinels.map(parseAddress),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls: await readTls(tls, dir, 'redis.sentinel.tls') } : {}),
    };
  }
  if (section.cluster) {
    const { nodes, natMap, keepHostnames } = section.cluster;
    settings.cluster = {
      nodes: nodes.map(parseAddress),
      ...(natMap
        ? { natMap: Object.fromEntries(Object.entries(natMap).map(([from, to]) => [from, parseAddress(to)])) }
        : {}),
      ...(keepHostnames ? { keepHostnames } : {}),
    };
  }
  return settings;
}

function parseAddress(text: string): RedisAddress {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(text.slice(colon + 1)) };
}

async function readTls(section: z.infer<typeof tlsSchema>, dir: string, field: string): Promise<RedisTls> {
  const read = async (name: 'ca' | 'cert' | 'key'): Promise<Buffer | undefined> => {
    const file = section[name];
    if (file === undefined) return undefined;
    try {
      return await readFile(resolve(dir, file));
    } catch (error) {
      throw new ConfigError(
        `${field}.${name}`,
        `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  };
  const [ca, cert, key] = await Promise.all([read('ca'), read('cert'), read('key')]);
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(section.servername ? { servername: section.servername } : {}),
  };
}
