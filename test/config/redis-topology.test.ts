import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.ts';
import { describeRedis, topologyOf } from '../../src/queues/redis-settings.ts';

/**
 * The `redis:` section's three topologies (src/config/redis-topology.ts): one server by URL, a
 * Sentinel-managed primary, a Redis Cluster. Each is parsed into what the connection factory
 * needs, and a setting that would silently not apply is refused with the field named.
 */
let dir: string;
const base = {
  authentication: { issuers: [{ issuer: 'https://idp.example.com', audience: 'https://hoop.example.com' }] },
  clusters: [{ name: 'local', inCluster: true }],
  policy: { default: 'deny', rules: [] },
};

async function load(extra: Record<string, unknown>) {
  const file = join(dir, `hoop-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify({ ...base, ...extra }));
  return loadConfigFile(file, {});
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-config-'));
  await writeFile(join(dir, 'sentinel-ca.pem'), 'SENTINEL CA PEM');
  await writeFile(join(dir, 'data-ca.pem'), 'DATA CA PEM');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('redis.sentinel', () => {
  it('is parsed: addresses, master name, both passwords, TLS for each side', async () => {
    const config = await load({
      redis: {
        password: 'data-node-password',
        tls: { ca: 'data-ca.pem' },
        sentinel: {
          masterName: 'hoop',
          sentinels: ['redis-0.redis-sentinel:26379', '10.0.0.7:26380', '[::1]:26381'],
          username: 'sentinel-user',
          password: 'sentinel-password',
          tls: { ca: 'sentinel-ca.pem', servername: 'sentinel.hoop.svc' },
        },
      },
    });
    expect(config.redis).toEqual({
      password: 'data-node-password',
      tls: { ca: Buffer.from('DATA CA PEM') },
      sentinel: {
        masterName: 'hoop',
        sentinels: [
          { host: 'redis-0.redis-sentinel', port: 26379 },
          { host: '10.0.0.7', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        username: 'sentinel-user',
        password: 'sentinel-password',
        tls: { ca: Buffer.from('SENTINEL CA PEM'), servername: 'sentinel.hoop.svc' },
      },
    });
    expect(topologyOf(config.redis)).toBe('sentinel');
    const described = describeRedis(config.approvals.redisUrl, config.redis);
    expect(described).toBe('sentinel hoop via redis-0.redis-sentinel:26379,10.0.0.7:26380,::1:26381');
    expect(described).not.toContain('password');
  });

  it('refuses a redisUrl beside it, which would silently not apply', async () => {
    const sentinel = { masterName: 'hoop', sentinels: ['127.0.0.1:26379'] };
    await expect(
      load({ approvals: { redisUrl: 'redis://other:6379' }, redis: { sentinel } }),
    ).rejects.toThrow(/approvals\.redisUrl: redis\.sentinel is set, which says where Redis is/);
    await expect(
      load({ recording: { redisUrl: 'redis://other:6379' }, redis: { sentinel } }),
    ).rejects.toThrow(/recording\.redisUrl: redis\.sentinel is set/);
  });

  it('refuses addresses without a port, an empty list, and a missing master name', async () => {
    await expect(
      load({ redis: { sentinel: { masterName: 'hoop', sentinels: ['redis-0'] } } }),
    ).rejects.toThrow(/host:port/);
    await expect(load({ redis: { sentinel: { masterName: 'hoop', sentinels: [] } } })).rejects.toThrow(
      /redis\.sentinel\.sentinels/,
    );
    await expect(load({ redis: { sentinel: { sentinels: ['a:1'] } } })).rejects.toThrow(
      /redis\.sentinel\.masterName/,
    );
  });

  it('reports an unreadable TLS file by its field', async () => {
    const sentinel = { masterName: 'hoop', sentinels: ['a:26379'], tls: { ca: 'missing.pem' } };
    await expect(load({ redis: { sentinel } })).rejects.toThrow(
      /redis\.sentinel\.tls\.ca: cannot read missing\.pem: ENOENT/,
    );
  });
});

describe('redis.cluster', () => {
  it('is parsed: seed nodes, NAT map, hostnames kept for TLS', async () => {
    const config = await load({
      redis: {
        username: 'hoop-gateway',
        password: 'data-node-password',
        tls: { ca: 'data-ca.pem' },
        cluster: {
          nodes: ['redis-cluster-0.redis-cluster:6379', 'redis-cluster-1.redis-cluster:6379'],
          natMap: { '10.0.0.5:6379': 'redis-0.example.net:16379' },
          keepHostnames: true,
        },
      },
    });
    expect(config.redis).toEqual({
      username: 'hoop-gateway',
      password: 'data-node-password',
      tls: { ca: Buffer.from('DATA CA PEM') },
      cluster: {
        nodes: [
          { host: 'redis-cluster-0.redis-cluster', port: 6379 },
          { host: 'redis-cluster-1.redis-cluster', port: 6379 },
        ],
        natMap: { '10.0.0.5:6379': { host: 'redis-0.example.net', port: 16379 } },
        keepHostnames: true,
      },
    });
    expect(topologyOf(config.redis)).toBe('cluster');
  });

  it('refuses sentinel and cluster together, and a redisUrl beside it', async () => {
    await expect(
      load({ redis: { sentinel: { masterName: 'a', sentinels: ['a:1'] }, cluster: { nodes: ['b:2'] } } }),
    ).rejects.toThrow(/sentinel or cluster, not both/);
    await expect(
      load({ approvals: { redisUrl: 'redis://x:6379' }, redis: { cluster: { nodes: ['b:2'] } } }),
    ).rejects.toThrow(/approvals\.redisUrl: redis\.cluster is set/);
  });
});

describe('redis.failoverWait', () => {
  it('is parsed into milliseconds, and refuses what is not a duration', async () => {
    const sentinel = { masterName: 'hoop', sentinels: ['a:26379'] };
    expect((await load({ redis: { sentinel, failoverWait: '45s' } })).redis.failoverWaitMs).toBe(45_000);
    expect((await load({ redis: { sentinel } })).redis.failoverWaitMs).toBeUndefined();
    await expect(load({ redis: { sentinel, failoverWait: 'soon' } })).rejects.toThrow(/redis\.failoverWait/);
  });
});

describe('one server', () => {
  it('stays the default: the URL names it, and its password is hidden in descriptions', async () => {
    const config = await load({ approvals: { redisUrl: 'redis://user:hunter2@redis:6379' } });
    expect(topologyOf(config.redis)).toBe('single');
    expect(describeRedis(config.approvals.redisUrl, config.redis)).toBe('redis://user:***@redis:6379');
  });
});
