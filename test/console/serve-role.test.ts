import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OidcIssuer, startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { renderKubeconfig } from '../../src/kubeconfig/render.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { writeKeyPair } from '../support/decision-keys.ts';
import { freePort } from '../support/free-port.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { type ServeProcess, spawnServe } from '../support/serve-process.ts';

/**
 * `hoop-gateway serve --role console` as operators run it: a child process with a config file,
 * the console alone on its port (no gateway listener), people signing in with the real issuer;
 * and the same command refused with a readable message when the console has no signing key.
 */
const AUDIENCE = 'https://hoop-gateway.test';

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let dir: string;
let issuer: OidcIssuer;
let child: ChildProcess | undefined;
let consolePort: number;
let gatewayPort: number;
const prefix = `hoop-console-serve-${Math.random().toString(36).slice(2, 8)}`;

function config(signing: Record<string, unknown>) {
  return stringify({
    listen: { host: '127.0.0.1', port: gatewayPort },
    dataDir: 'data',
    authentication: {
      issuers: [{ issuer: issuer.issuer, audience: AUDIENCE }],
      people: { issuer: issuer.issuer, audience: `${AUDIENCE}/approvals`, clientId: 'hoop-gateway-cli' },
    },
    // A cluster the console never talks to.
    clusters: [{ name: 'c', kubeconfig: { path: 'upstream.kubeconfig' } }],
    policy: { default: 'deny', rules: [] },
    approvals: { redisUrl: REDIS_URL, keyPrefix: prefix, signing },
    recording: { redisUrl: REDIS_URL },
    console: {
      listen: { host: '127.0.0.1', port: consolePort },
      publicUrl: `https://127.0.0.1:${consolePort}`,
      viewers: ['sre'],
    },
  });
}

function serve(file: string): ServeProcess {
  return spawnServe(['--role', 'console', '--config', file]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoop-console-serve-'));
  consolePort = await freePort();
  gatewayPort = await freePort();
  issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [],
    people: {
      clientId: 'hoop-gateway-cli',
      audience: `${AUDIENCE}/approvals`,
      accounts: [{ id: 'alice', email: 'alice@example.com', groups: ['sre'] }],
      redirectUris: [`https://127.0.0.1:${consolePort}/auth/callback`],
    },
  });
  await writeKeyPair(join(dir, 'keys'), 'console', 'console');
  await writeFile(
    join(dir, 'upstream.kubeconfig'),
    renderKubeconfig({ server: 'https://127.0.0.1:9', caPem: '', user: { token: 'unused' }, name: 'c' }),
  );
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await issuer?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  // The console's sign-in sessions live under the prefix (recording shares it).
  const redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  await deleteKeys(redis, `${prefix}:*`);
  redis.disconnect();
});

it('refuses to start without the console’s signing key, saying how to make one', async () => {
  const file = join(dir, 'no-key.yaml');
  await writeFile(file, config({}));
  const run = serve(file);
  const [code] = (await once(run.child, 'exit')) as [number];
  expect(code).not.toBe(0);
  expect(run.output()).toContain('approvals.signing.consolePrivateKey');
  expect(run.output()).toContain('hoop-gateway keys generate --name console --role console');
  expect(run.output()).not.toMatch(/\n\s+at .*\.ts:\d+/);
});

it('runs the console alone, and people sign in to it', async () => {
  const file = join(dir, 'hoop.yaml');
  await writeFile(file, config({ consolePrivateKey: 'keys/console.key' }));
  const run = serve(file);
  child = run.child;
  const deadline = Date.now() + 20_000;
  while (!run.output().includes('console listening')) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`console did not start: ${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await listening(gatewayPort)).toBe(false);
  const caPem = await readFile(join(dir, 'data', 'tls', 'ca.crt'), 'utf8');
  const alice = new ConsoleClient({ publicUrl: `https://127.0.0.1:${consolePort}`, caPem });
  expect((await alice.get('/healthz')).body).toBe('ok\n');
  const { me } = await alice.signIn(issuer, 'alice');
  expect(me).toMatchObject({ id: 'alice@example.com', viewer: true });
  expect((await alice.get('/api/v1/sessions')).status).toBe(200);
  expect((await alice.get('/api/v1/reviews')).status).toBe(200);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number];
  expect(code).toBe(0);
});
