/**
 * The console in a real Chromium: a person signs in through the local issuer's login form, finds
 * the session of a real `kubectl exec`, reads its timeline and hash-chain result, expands a call,
 * and replays the exec in asciinema-player until the terminal shows what was typed. On every page:
 * no console error, no CSP violation, nothing loaded from another origin. Keyboard and phone
 * width are exercised on the same pages.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsoleBrowser, describeWithChromium, openStackBrowser } from '../support/browser.ts';
import { execTyping } from './agent-work.ts';
import { type ConsoleStack, startConsoleStack } from './console-stack.ts';
import { signInAs } from './sign-in.ts';

const TYPED = `typed-text-${randomBytes(4).toString('hex')}`;

describeWithChromium('the console in Chromium: sessions, timeline, replay', () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let sessionId: string;

  beforeAll(async () => {
    stack = await startConsoleStack();
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const printed = await execTyping(kubeconfig, [`echo ${TYPED}`]);
    expect(printed).toContain(TYPED);
    sessionId = await stack.waitForSession((s) => s.command === 'kubectl exec' && s.state === 'closed');
    browser = await openStackBrowser(stack);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('signs in through the issuer, lists the session and opens its timeline', async () => {
    const page = await browser.newPage();
    await signInAs(page, stack.consoleUrl, 'alice', '/sessions');
    expect(new URL(page.url()).pathname).toBe('/sessions');
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toContain('alice@example.com');
    const row = page.locator(`tr[data-session="${sessionId}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain('kubectl exec');
    await browser.screenshot(page, 'sessions');

    await row.getByRole('link', { name: sessionId }).click();
    await page.getByTestId('chain').waitFor();
    await expect(page.getByTestId('chain').textContent()).resolves.toMatch(
      /Recording verified: all \d+ events/,
    );
    const exec = page.locator('tr.call', { hasText: 'pods/exec' });
    await exec.first().waitFor();
    await expect(exec.first().textContent()).resolves.toContain('agents-exec');
    // A row expands into the call's recorded request (its masked bodies and headers).
    await exec.first().getByRole('button').click();
    await page.locator('.call-details').waitFor();
    await expect(page.locator('.call-details').textContent()).resolves.toContain('/exec');
    await browser.screenshot(page, 'session');
    await page.close();
  });

  it('replays the exec: the terminal shows the typed text, at another speed too, and copies as text', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.consoleUrl}/sessions/${sessionId}`);
    await page.getByRole('link', { name: /^Replay exec/ }).click();
    await page.locator('.ap-player').waitFor();
    await page.locator('.ap-player').click(); // the player's own play control: the whole screen
    await page.locator('.ap-term-text', { hasText: TYPED }).waitFor({ timeout: 15_000 });
    await browser.screenshot(page, 'replay');

    // A new speed re-creates the player; the recording plays again and shows the same text.
    await page.getByLabel('Speed').selectOption('4');
    await page.locator('.ap-player').click();
    await page.locator('.ap-term-text', { hasText: TYPED }).waitFor({ timeout: 15_000 });
    await page.locator('summary', { hasText: 'Output as text' }).click();
    await expect(page.getByTestId('cast-text').textContent()).resolves.toContain(TYPED);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: stack.consoleUrl,
    });
    await page.getByRole('button', { name: 'Copy output as text' }).click();
    await page.getByText('Output copied as text.').waitFor();
    const copied = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(copied).toContain(TYPED);
    expect(copied).not.toContain('\u001b'); // plain text: no terminal escape sequences
    await page.close();
  });

  it('is usable with the keyboard: Tab reaches a session link with a visible focus ring, Enter opens it', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.consoleUrl}/sessions`);
    await page.locator(`tr[data-session="${sessionId}"]`).waitFor();
    let focused = '';
    for (let i = 0; i < 40 && !focused.startsWith('/sessions/'); i += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate('document.activeElement?.getAttribute("href") ?? ""');
    }
    expect(focused).toMatch(/^\/sessions\/s-/);
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    expect(outline).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.getByTestId('chain').waitFor();
    expect(new URL(page.url()).pathname).toBe(focused);
    await page.close();
  });

  it('fits a phone: no horizontal scrolling on the sessions list', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.consoleUrl}/sessions`);
    await page.locator(`tr[data-session="${sessionId}"]`).waitFor();
    const overflow = await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBe(0);
    await browser.screenshot(page, 'sessions-phone');
    await page.close();
  });

  it('answers an unknown session with a readable page', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.consoleUrl}/sessions/s-nosuchthing`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    await expect(page.locator('.problem').textContent()).resolves.not.toMatch(/at \w+ \(|Error:/);
    await page.close();
  });

  it('logged no error, broke no CSP rule and loaded nothing from another origin', () => {
    expect(browser.problems.consoleErrors).toEqual([]);
    expect(browser.problems.pageErrors).toEqual([]);
    expect(browser.problems.cspViolations).toEqual([]);
    expect(browser.problems.foreignRequests).toEqual([]);
    // Before sign-in, /api/v1/me answers 401; the unknown session (and its calls), 404. Nothing else failed.
    expect([...new Set(browser.problems.httpErrors)].sort()).toEqual([
      '401 /api/v1/me',
      '404 /api/v1/sessions/s-nosuchthing',
      '404 /api/v1/sessions/s-nosuchthing/calls',
    ]);
  });
});
