/**
 * The production image runs the gateway on jemalloc (the Dockerfile preloads Debian's libjemalloc2
 * with the bench's MALLOC_CONF). Here the same library and settings run `hoop-gateway serve` from
 * its sources: jemalloc is what the process maps, it accepts every setting (it ignores an unknown
 * one with a warning on stderr, which this test shows it would catch), and the gateway forwards,
 * watches and shuts down as usual on it. Needs Linux with libjemalloc2 installed (.ci/run
 * installs it); elsewhere the suite is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { SEED_VALUES } from '@hoop-gateway/sandbox/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_MALLOC_CONF, JEMALLOC } from '../../bench/gateway-config.ts';
import type { ServeProcess } from '../support/serve-process.ts';
import { type ServeStack, startServeStack } from '../support/serve-stack.ts';

const LIBRARY = JEMALLOC ?? '';
const available = process.platform === 'linux' && JEMALLOC !== undefined;
if (!available)
  console.warn('image-allocator: skipped, libjemalloc.so.2 is missing (apt-get install libjemalloc2)');

const allocatorEnv = (conf: string) => ({ LD_PRELOAD: LIBRARY, MALLOC_CONF: conf });

/** What jemalloc says on stderr when `node -e 0` starts with `conf`. */
function jemallocComplaints(conf: string): string {
  const run = spawnSync(process.execPath, ['-e', '0'], {
    env: { ...process.env, ...allocatorEnv(conf) },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  return run.stderr;
}

function get(url: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe.skipIf(!available)('the image allocator (jemalloc, preloaded)', () => {
  let stack: ServeStack;
  let gateway: ServeProcess;
  let gatewayUrl = '';
  let token = '';

  beforeAll(async () => {
    stack = await startServeStack({
      config: {
        policy: {
          default: 'deny',
          rules: [{ name: 'agents', action: 'allow', match: { groups: ['ai-agents'] } }],
        },
        metrics: false,
        shutdown: { gracePeriod: '3s' },
      },
      env: allocatorEnv(GATEWAY_MALLOC_CONF),
    });
    ({ gateway, url: gatewayUrl, token } = stack);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('accepts the image settings, and would say so on stderr if one were wrong', () => {
    expect(jemallocComplaints(GATEWAY_MALLOC_CONF)).toBe('');
    expect(jemallocComplaints(`${GATEWAY_MALLOC_CONF},dirty_decay_msec:1000`)).toMatch(
      /<jemalloc>.*dirty_decay_msec/,
    );
  });

  it('is the allocator the gateway process maps', async () => {
    const maps = await readFile(`/proc/${gateway.child.pid}/maps`, 'utf8');
    expect(maps).toContain('libjemalloc.so.2');
  });

  it('forwards and masks 200 requests on it, then stops cleanly with nothing from jemalloc in its output', async () => {
    for (let i = 0; i < 100; i++) {
      const list = await get(`${gatewayUrl}/clusters/sandbox/api/v1/namespaces/default/configmaps`, token);
      expect(list.status).toBe(200);
      expect(JSON.parse(list.body).kind).toBe('ConfigMapList');
      const secrets = await get(`${gatewayUrl}/clusters/sandbox/api/v1/namespaces/payments/secrets`, token);
      expect(secrets.status).toBe(200);
      expect(JSON.parse(secrets.body).kind).toBe('SecretList');
      expect(secrets.body).not.toContain(Buffer.from(SEED_VALUES.ledgerDbPassword).toString('base64'));
    }
    gateway.child.kill('SIGTERM');
    const [code] = await once(gateway.child, 'exit');
    expect(code).toBe(0);
    expect(gateway.output()).not.toContain('<jemalloc>');
  }, 60_000);
});
