/**
 * A newcomer's first minutes, in a real Chromium: `hoop-gateway demo` prints the web console's
 * address and the person to sign in as; they run the `kubectl exec` the banner suggests with the
 * demo's kubeconfig, sign in as that person through the demo's issuer, find the session and watch
 * the replay show what they typed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import { whenReady } from '../../src/approvals/unavailable-error.ts';
import { createRequestConnection } from '../../src/queues/connections.ts';
import { type ConsoleBrowser, describeWithChromium, openConsoleBrowser } from '../support/browser.ts';
import { runKubectl } from '../support/kubectl.ts';
import { deleteKeys, REDIS_URL } from '../support/redis.ts';
import { KUBECTL_VERSION } from './agent-work.ts';
import { ensureConsoleBundle, servedCertificate } from './console-stack.ts';

const BIN = new URL('../../bin/hoop-gateway.ts', import.meta.url).pathname;
const PREFIX = `hoop-demo-browser-${randomBytes(4).toString('hex')}`;
const TYPED = `hello-from-a-newcomer-${randomBytes(3).toString('hex')}`;

describeWithChromium('the demo in Chromium: from `hoop-gateway demo` to the replay of your own exec', () => {
  let dir: string;
  let demo: ChildProcess;
  let printed = '';
  let browser: ConsoleBrowser | undefined;

  beforeAll(async () => {
    await ensureConsoleBundle();
    dir = await mkdtemp(join(tmpdir(), 'hoop-demo-browser-'));
    demo = spawn(process.execPath, [BIN, 'demo', '--dir', dir, '--port', '0', '--key-prefix', PREFIX], {
      env: { ...process.env, REDIS_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    demo.stderr?.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const deadline = Date.now() + 60_000;
    while (!/Stop with Ctrl-C/.test(printed)) {
      if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not start: ${printed}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    if (demo && demo.exitCode === null) {
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      demo.kill('SIGTERM');
      await exited;
    }
    const redis = createRequestConnection({ url: REDIS_URL });
    await whenReady(redis, 5000);
    await deleteKeys(redis, `${PREFIX}:*`);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the console and its sign-in; the exec typed with the demo kubeconfig replays in the browser', async () => {
    const banner = /Web console: (https:\/\/127\.0\.0\.1:\d+) +\(sign in as ([\w-]+);/.exec(printed);
    expect(banner, printed).not.toBeNull();
    const [, consoleUrl = '', person = ''] = banner ?? [];

    const exec = await runKubectl({
      kubeconfig: join(dir, 'kubeconfig'),
      version: KUBECTL_VERSION,
      args: ['-n', 'payments', 'exec', '-i', 'ledger-0', '--', 'sh'],
      stdin: `echo ${TYPED}\nexit\n`,
      timeoutMs: 30_000,
    });
    expect(exec.code, exec.stderr).toBe(0);
    expect(exec.stdout).toContain(TYPED);

    // Sign-in passes through the demo's issuer, named in the configuration it wrote.
    const config = parse(await readFile(join(dir, 'hoop.yaml'), 'utf8')) as {
      authentication: { people: { issuer: string } };
    };
    const issuerUrl = new URL(config.authentication.people.issuer).origin;
    browser = await openConsoleBrowser({
      origin: consoleUrl,
      certificatePem: await servedCertificate(Number(new URL(consoleUrl).port)),
      allowedOrigins: [issuerUrl],
    });
    const page = await browser.newPage();
    await page.goto(consoleUrl);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.locator(`button[name="account"][value="${person}"]`).click();
    await page.getByTestId('signed-in-as').waitFor();
    await page.getByRole('link', { name: 'Sessions' }).click();
    const row = page.locator('tr[data-session]', { hasText: 'kubectl exec' }).first();
    await row.waitFor({ timeout: 20_000 });
    await row.getByRole('link').first().click();
    await page.getByRole('link', { name: /^Replay exec/ }).click();
    await page.locator('.ap-player').click();
    await page.locator('.ap-term-text', { hasText: TYPED }).waitFor({ timeout: 20_000 });

    expect(browser.problems.consoleErrors).toEqual([]);
    expect(browser.problems.pageErrors).toEqual([]);
    expect(browser.problems.cspViolations).toEqual([]);
    expect(browser.problems.foreignRequests).toEqual([]);
  });
});
