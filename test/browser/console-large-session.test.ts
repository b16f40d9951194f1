/**
 * A session of 10,000 recorded events (5,000 calls through `kubectl proxy`, a request and a
 * response event each) opens in a real Chromium with one page of its timeline: 100 rows, the rest
 * a page away. The time to that first page is measured and printed, never asserted (this machine
 * is shared; speed is the benchmark's business).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsoleBrowser, describeWithChromium, openStackBrowser } from '../support/browser.ts';
import { type KubectlProxy, manyCalls, startProxy } from './agent-work.ts';
import { type ConsoleStack, startConsoleStack } from './console-stack.ts';
import { signInAs } from './sign-in.ts';

const CALLS = 5000;

describeWithChromium('the console in Chromium: a session of 10,000 events', () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let proxy: KubectlProxy | undefined;
  let sessionId: string;

  beforeAll(async () => {
    stack = await startConsoleStack({ idleGap: '5m' });
    proxy = await startProxy(await stack.kubeconfigFor('agent-1'), '/clusters/sandbox');
    await manyCalls(proxy, '/api/v1/namespaces/default/configmaps', CALLS);
    sessionId = await stack.waitForSession((s) => s.kind === 'idle' && s.requests >= CALLS);
    browser = await openStackBrowser(stack);
  }, 240_000);
  afterAll(async () => {
    proxy?.stop();
    await browser?.close();
    await stack?.close();
  });

  it('paints the first 100 calls, pages on, and prints how long the first page took', async () => {
    const page = await browser.newPage();
    await signInAs(page, stack.consoleUrl, 'alice');
    // Noted in the page the moment the 100th row is in the document (not when the test polls for it).
    await page.addInitScript(`new MutationObserver(() => {
      if (window.__timelineAt === undefined && document.querySelectorAll('tr.call').length >= 100)
        window.__timelineAt = performance.now();
    }).observe(document, { childList: true, subtree: true });`);
    await page.goto(`${stack.consoleUrl}/sessions/${sessionId}`);
    await page.locator('tr.call').nth(99).waitFor();
    const timelineMs = Number(await page.evaluate('window.__timelineAt'));
    const paint = Number(
      await page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN",
      ),
    );
    // Where the time went: the API answers the page waited for (Resource Timing, in the page).
    const api = (await page.evaluate(
      "performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/sessions/')).map((e) => [new URL(e.name).pathname + new URL(e.name).search, Math.round(e.startTime), Math.round(e.duration)])",
    )) as Array<[string, number, number]>;
    const calls = api.find(([path]) => path.includes('/calls?'));
    const rendered = calls
      ? ` (${(timelineMs - calls[1] - calls[2]).toFixed(0)} ms after the calls arrived)`
      : '';
    console.log(
      `session of ${CALLS * 2} events: first contentful paint ${paint.toFixed(0)} ms, ` +
        `first 100 timeline rows ${timelineMs.toFixed(0)} ms after navigation${rendered}; API ` +
        api.map(([path, start, took]) => `${path} at ${start} ms took ${took} ms`).join(', '),
    );
    expect(await page.locator('tr.call').count()).toBe(100);
    await expect(page.getByTestId('timeline-range').textContent()).resolves.toBe(`Calls 1–100 of ${CALLS}`);
    await expect(page.getByTestId('chain').textContent()).resolves.toMatch(
      new RegExp(`all ${CALLS * 2 + 1} events recorded until now are intact`),
    );
    await browser.screenshot(page, 'session-10000-events');

    await page.getByRole('button', { name: 'Next calls' }).click();
    await page
      .getByTestId('timeline-range')
      .filter({ hasText: `Calls 101–200 of ${CALLS}` })
      .waitFor();
    await expect(page.locator('tr.call').first().locator('td').first().textContent()).resolves.toBe('101');
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
