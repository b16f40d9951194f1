/**
 * The live view in a real Chromium: a session that is still running shows a live marker, and
 * what the agent does next appears without a reload — a new call through `kubectl proxy` (one
 * recorded session until an idle gap) in the timeline, and the output of a `kubectl exec` shell
 * as it is typed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsoleBrowser, describeWithChromium, openStackBrowser } from '../support/browser.ts';
import { type KubectlProxy, openShell, startProxy } from './agent-work.ts';
import { type ConsoleStack, startConsoleStack } from './console-stack.ts';
import { signInAs } from './sign-in.ts';

describeWithChromium('the console in Chromium: live sessions', () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let kubeconfig: string;
  let proxy: KubectlProxy | undefined;

  beforeAll(async () => {
    // Sessions stay open for a minute without calls, so they are still live while the page watches.
    stack = await startConsoleStack({ idleGap: '60s' });
    kubeconfig = await stack.kubeconfigFor('agent-1');
    browser = await openStackBrowser(stack);
    const page = await browser.newPage();
    await signInAs(page, stack.consoleUrl, 'bob');
    await page.close();
  }, 120_000);
  afterAll(async () => {
    proxy?.stop();
    await browser?.close();
    await stack?.close();
  });

  it('shows a new call of a running session as it happens', async () => {
    proxy = await startProxy(kubeconfig, '/clusters/sandbox');
    expect(await proxy.get('/api/v1/namespaces/default/pods')).toBe(200);
    const id = await stack.waitForSession((s) => s.kind === 'idle' && s.state === 'open');

    const page = await browser.newPage();
    await page.goto(`${stack.consoleUrl}/sessions`);
    await page.locator(`tr[data-session="${id}"] .live-marker`).waitFor();
    await page.getByRole('link', { name: id }).click();
    await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
    await page.locator('tr.call', { hasText: 'list pods default' }).waitFor();
    expect(await page.locator('tr.call', { hasText: 'configmaps scratch' }).count()).toBe(0);

    expect(await proxy.get('/api/v1/namespaces/scratch/configmaps')).toBe(200);
    await page.locator('tr.call', { hasText: 'list configmaps scratch' }).waitFor();
    await expect(page.getByTestId('timeline-range').textContent()).resolves.toBe('Calls 1–2 of 2');
    await browser.screenshot(page, 'session-live');
    await page.close();
  });

  it('shows exec output as it is typed', async () => {
    const shell = openShell(kubeconfig);
    const first = `first-${randomBytes(3).toString('hex')}`;
    shell.type(`echo ${first}`);
    await shell.waitFor(new RegExp(first));
    const id = await stack.waitForSession((s) => s.command === 'kubectl exec' && s.state === 'open');

    const page = await browser.newPage();
    await page.goto(`${stack.consoleUrl}/sessions/${id}`);
    await page.locator('[data-testid="live-status"][data-state="live"]').waitFor();
    await expect(page.locator('h1 .live-marker').textContent()).resolves.toBe('live');

    const next = `typed-live-${randomBytes(3).toString('hex')}`;
    shell.type(`echo ${next}`);
    const output = page.locator('.live-output pre', { hasText: next });
    await output.waitFor();
    await browser.screenshot(page, 'exec-live');
    expect(await shell.exit()).toBe(0);
    await page.close();
  });

  it('logged no error, broke no CSP rule and loaded nothing from another origin', () => {
    expect(browser.problems.consoleErrors).toEqual([]);
    expect(browser.problems.pageErrors).toEqual([]);
    expect(browser.problems.cspViolations).toEqual([]);
    expect(browser.problems.foreignRequests).toEqual([]);
    expect([...new Set(browser.problems.httpErrors)]).toEqual(['401 /api/v1/me']);
  });
});
