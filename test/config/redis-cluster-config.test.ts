import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../src/config/load.ts';
import { replicationFor } from '../../src/redis/replication.ts';

/**
 * What a Redis Cluster changes in the resolved config: BullMQ's `{prefix}` form for the queues
 * (one slot per queue family), and `redis.replicaWait` with its defaults and bounds.
 */
let dir: string;
const base = {
  authentication: { issuers: [{ issuer: 'https://idp.example.com', audience: 'https://hoop.example.com' }] },
  clusters: [{ name: 'local', inCluster: true }],
  policy: { default: 'deny', rules: [] },
  approvals: {},
  recording: { keyPrefix: 'rec' },
};

async function load(extra: Record<string, unknown>) {
  const file = join(dir, `hoop-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringify({ ...base, ...extra }));
  return loadConfigFile(file, {});
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CLUSTER = { cluster: { nodes: ['redis-0:6379'] } };
const SENTINEL = { sentinel: { masterName: 'hoop', sentinels: ['s-0:26379'] } };

describe('queue prefixes', () => {
  it('take the {prefix} form on a cluster, keeping the store prefixes as they are', async () => {
    const config = await load({ redis: CLUSTER });
    expect(config.approvals.queuePrefix).toBe('{hoop}');
    expect(config.recording.queuePrefix).toBe('{rec}');
    expect(config.recording.notifyPrefix).toBe('{hoop}');
    expect(config.approvals.storePrefix).toBe('hoop:approvals');
    expect(config.recording.storePrefix).toBe('rec:rec');
  });

  it('stay as they were with one server and with Sentinel (no key moves on upgrade)', async () => {
    for (const redis of [undefined, SENTINEL]) {
      const config = await load(redis ? { redis } : {});
      expect([config.approvals.queuePrefix, config.recording.queuePrefix]).toEqual(['hoop', 'rec']);
    }
  });

  it('keep a tag the operator already wrote', async () => {
    const config = await load({ redis: CLUSTER, approvals: { keyPrefix: '{acme}:hoop' } });
    expect(config.approvals.queuePrefix).toBe('{acme}:hoop');
  });
});

describe('redis.replicaWait', () => {
  it('defaults to one replica within 500 ms with Sentinel or Cluster, and off with one server', async () => {
    expect(replicationFor((await load({ redis: CLUSTER })).redis)).toEqual({ replicas: 1, timeoutMs: 500 });
    expect(replicationFor((await load({ redis: SENTINEL })).redis)).toEqual({ replicas: 1, timeoutMs: 500 });
    expect(replicationFor((await load({})).redis)).toEqual({ replicas: 0, timeoutMs: 0 });
  });

  it('is parsed, and 0 turns it off', async () => {
    const two = await load({ redis: { ...CLUSTER, replicaWait: { replicas: 2, timeout: '250ms' } } });
    expect(replicationFor(two.redis)).toEqual({ replicas: 2, timeoutMs: 250 });
    const off = await load({ redis: { ...SENTINEL, replicaWait: { replicas: 0 } } });
    expect(replicationFor(off.redis).replicas).toBe(0);
  });

  it('refuses a timeout that would block the connection for long, naming the field', async () => {
    await expect(
      load({ redis: { ...CLUSTER, replicaWait: { replicas: 1, timeout: '5s' } } }),
    ).rejects.toThrow(/redis\.replicaWait\.timeout/);
  });
});
