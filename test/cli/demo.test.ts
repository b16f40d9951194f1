/**
 * `hoop-gateway demo` as a newcomer runs it: the command starts, prints `ready`, and the files it
 * writes work — the agent kubeconfig (an exec credential against the local issuer) with the real
 * kubectl, the config with `reviews` and `sessions`. Every kubectl example the banner prints does
 * what its comment says, a held namespace delete completes once approved from the terminal, and
 * the process stops cleanly on SIGTERM. Started again in the same directory, it keeps an edited
 * policy.yaml and starts without the previous run's reviews and sessions, touching no other keys.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { driveDeviceApproval } from '@hoop-gateway/sandbox/oidc-device-driver';
import type { OidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { SessionList } from '../../console/api.types.ts';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection, type RedisConnection } from '../../src/queues/connections.ts';
import { ConsoleClient } from '../support/console-client.ts';
import { type KubectlResult, runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';

const BIN = new URL('../../bin/hoop-gateway.ts', import.meta.url).pathname;
const run = promisify(execFile);
const prefix = `hoop-demo-test-${randomBytes(4).toString('hex')}`;
/** A key beside the demo's prefix (same start, different prefix): a restart must leave it alone. */
const NEIGHBOUR_KEY = `${prefix}-neighbour:keep`;

let dir: string;
let demo: ChildProcess;
let output = '';
let redis: RedisConnection;

/** Starts the demo in `dir` and resolves with what it printed up to `ready`. */
async function startDemo(): Promise<string> {
  output = '';
  demo = spawn(process.execPath, [BIN, 'demo', '--dir', dir, '--port', '0', '--key-prefix', prefix], {
    env: { ...process.env, REDIS_URL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!/Stop with Ctrl-C/.test(output)) {
    if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return output;
}

function stopDemo(): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  demo.kill('SIGTERM');
  return exited;
}

beforeAll(async () => {
  redis = createRequestConnection({ url: REDIS_URL });
  await whenReady(redis, 5000);
  // A key an earlier run left under the demo's prefix.
  await redis.set(`${prefix}:approvals:review:r-old000`, 'from an earlier run');
  dir = await mkdtemp(join(tmpdir(), 'hoop-demo-'));
  await startDemo();
});

afterAll(async () => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  try {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.del(NEIGHBOUR_KEY);
  } finally {
    redis.disconnect();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

const kubectl = (args: string[], stdin?: string) =>
  runKubectl({
    kubeconfig: join(dir, 'kubeconfig'),
    args,
    timeoutMs: 60_000,
    ...(stdin === undefined ? {} : { stdin }),
  });
const cli = (args: string[]) =>
  run(process.execPath, [BIN, ...args, '--config', join(dir, 'hoop.yaml')], {
    env: { ...process.env, REDIS_URL },
  });

/** The kubectl commands the banner suggests, as argument lists (they contain no quoting). */
function bannerExamples(banner: string): string[][] {
  return [...banner.matchAll(/^ {2}kubectl (.+?)\s+#/gm)].map((m) => m[1]!.split(/\s+/));
}

/** What each banner example must do; the test fails when the banner suggests anything else. */
const EXPECTED: Record<string, (result: KubectlResult) => void> = {
  'get pods -A': (r) => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ledger-0');
  },
  '-n scratch create configmap hello --from-literal=a=b': (r) => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('configmap/hello created');
  },
  '-n payments exec -i ledger-0 -- cat': (r) => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('typed by the test\n');
  },
  '-n payments port-forward pod/ledger-0 8080:80': (r) => {
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no-port-forward-in-payments');
  },
};
const HELD = 'delete namespace scratch';

describe('hoop-gateway demo', () => {
  it('prints ready and what to try, and no warning when Redis answers', () => {
    expect(output).toMatch(/hoop-gateway demo ready: gateway https:\/\/127\.0\.0\.1:\d+\/clusters\/sandbox/);
    expect(output).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
    expect(output).not.toContain('warning');
    expect(output).toContain(`Policy: ${join(dir, 'policy.yaml')} (the demo policy; kept across restarts`);
  });

  it('starts with its key prefix emptied: an earlier run’s keys are gone', async () => {
    expect(output).toMatch(/Redis: started fresh, .* \(1 key under hoop-demo-test-[0-9a-f]{8}: deleted;/);
    expect(await redis.exists(`${prefix}:approvals:review:r-old000`)).toBe(0);
  });

  it('every kubectl example in the banner does what its comment says', async () => {
    const examples = bannerExamples(output).map((args) => args.join(' '));
    expect(examples.sort()).toEqual([...Object.keys(EXPECTED), HELD].sort());
    for (const [command, check] of Object.entries(EXPECTED)) {
      // The port-forward is refused before it listens; any free local port keeps the test honest
      // on a machine where 8080 is taken.
      const args = command.replace(' 8080:80', ' :80').split(' ');
      const result = await kubectl(args, args.includes('-i') ? 'typed by the test\n' : undefined);
      check(result);
    }
  });

  it('holds a namespace delete until the approver signs in and approves it, and records the sessions', async () => {
    const deletion = kubectl(HELD.split(' '));
    // The banner's login line, run as printed, as demo-approver in the demo's issuer.
    const login = /^ {2}hoop-gateway (login .+)$/m.exec(output)?.[1]?.split(' ');
    expect(login, 'a login line in the banner').toBeDefined();
    const home = await mkdtemp(join(tmpdir(), 'hoop-demo-person-'));
    const env = { ...process.env, XDG_CONFIG_HOME: home };
    const signingIn = spawn(process.execPath, [BIN, ...login!], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    signingIn.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const signedIn = new Promise<number | null>((resolve) => signingIn.once('exit', resolve));
    while (!/enter the code/.test(printed)) await new Promise((resolve) => setTimeout(resolve, 100));
    const [, issuer, code] = /Open (\S+)\/device and enter the code (\S+)/.exec(printed)!;
    await driveDeviceApproval(issuer!, code!, 'demo-approver');
    expect(await signedIn).toBe(0);
    expect(printed).toContain('as demo-approver@example.com');
    const person = (args: string[]) => run(process.execPath, [BIN, ...args], { env });

    let id: string | undefined;
    const deadline = Date.now() + 30_000;
    while (!id && Date.now() < deadline) {
      const { stdout } = await person(['reviews', 'list', '--state', 'pending']);
      id = /r-[0-9a-z]{6}(?=\s+\S+\s+delete namespaces scratch)/.exec(stdout)?.[0];
      if (!id) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(id, 'a pending review for the delete').toBeDefined();
    const approved = await person(['reviews', 'approve', id!]);
    expect(approved.stdout).toContain(`approved ${id}`);
    const result = await deletion;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('namespace "scratch" deleted');

    const sessions = await cli(['sessions', 'list']);
    expect(sessions.stdout).toContain('kubectl delete');
    expect(sessions.stdout).toContain('demo-agent');
    await rm(home, { recursive: true, force: true });
  });

  it('serves the web console, where the demo’s person signs in and sees the recorded sessions', async () => {
    const publicUrl = /^Web console: (https:\/\/127\.0\.0\.1:\d+) /m.exec(output)?.[1];
    expect(publicUrl, output).toBeTruthy();
    const caPem = await readFile(join(dir, 'data', 'tls', 'ca.crt'), 'utf8');
    const config = parse(await readFile(join(dir, 'hoop.yaml'), 'utf8')) as {
      authentication: { people: { issuer: string } };
    };
    const person = new ConsoleClient({ publicUrl: publicUrl!, caPem });
    const { me } = await person.signIn(
      { issuer: config.authentication.people.issuer } as OidcIssuer,
      'demo-approver',
    );
    expect(me).toMatchObject({ id: 'demo-approver@example.com', viewer: true });
    const sessions = (await person.get('/api/v1/sessions')).json<SessionList>();
    expect(sessions.items.length).toBeGreaterThan(0);
    expect(sessions.items.every((s) => s.agent === 'demo-agent')).toBe(true);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await stopDemo()).toBe(0);
  });

  it('restarted, keeps an edited policy.yaml and drops only its own keys from the last run', async () => {
    const policyFile = join(dir, 'policy.yaml');
    const edited = `# edited by the newcomer\n${await readFile(policyFile, 'utf8')}`;
    await writeFile(policyFile, edited);
    await redis.set(NEIGHBOUR_KEY, 'not the demo’s');

    await startDemo();
    expect(await readFile(policyFile, 'utf8')).toBe(edited);
    expect(output).toContain(`Policy: ${policyFile} (kept from an earlier run, with any edits;`);
    expect(output).toMatch(/Redis: started fresh, .* \([1-9]\d* keys? under/);
    expect(await redis.keys(`${prefix}:approvals:review:*`)).toEqual([]);
    expect((await cli(['sessions', 'list'])).stdout).not.toContain('kubectl delete');
    expect(await redis.get(NEIGHBOUR_KEY)).toBe('not the demo’s');
    expect(await stopDemo()).toBe(0);
  });
});
