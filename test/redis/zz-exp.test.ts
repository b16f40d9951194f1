import { execSync } from 'node:child_process';
import { test } from 'vitest';
import { startRedisCluster } from '../support/redis-cluster.ts';
test('exp', async () => {
  const h = await startRedisCluster();
  try {
    const c = h.client();
    await c.set('{a}x', '1');
    const res = await c.pipeline().pttl('{a}x').wait(1, 500).exec();
    console.log('pipeline wait', JSON.stringify(res));
    const m = await h.masterFor('{a}x');
    const r = await h.replicaOf(m);
    console.log('master', m, 'replica', r);
    const t0 = Date.now();
    await h.kill(m);
    await new Promise(res => setTimeout(res, 5000));
    console.log(execSync(`redis-cli -p ${r} cluster nodes`).toString());
    const nm = await h.waitForFailover('{a}x', m);
    console.log('failover to', nm, 'in', Date.now() - t0);
    console.log(await c.get('{a}x').catch(e => String(e)));
    c.disconnect();
  } finally { await h.stop(); }
}, 60000);
