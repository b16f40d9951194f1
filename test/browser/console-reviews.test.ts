/**
 * Deciding in the console, in a real Chromium, for a real held `kubectl delete namespace`: a
 * viewer who is not an approver for the rule is refused with the server's words; an approver
 * approves and kubectl completes; the review then shows who decided and when. Someone in no
 * viewer group sees a page saying so, and signing out ends the console session (and goes on to
 * the issuer's end-session page).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsoleBrowser, describeWithChromium, openStackBrowser } from '../support/browser.ts';
import { runKubectl } from '../support/kubectl.ts';
import { KUBECTL_VERSION } from './agent-work.ts';
import { type ConsoleStack, startConsoleStack } from './console-stack.ts';
import { signInAs } from './sign-in.ts';

describeWithChromium('the console in Chromium: reviews', () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let reviewId = '';

  beforeAll(async () => {
    stack = await startConsoleStack();
    browser = await openStackBrowser(stack);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('refuses a viewer who may not approve, then lets an approver approve a held kubectl delete', async () => {
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    const deleting = runKubectl({
      kubeconfig,
      version: KUBECTL_VERSION,
      args: ['delete', 'namespace', 'scratch'],
      timeoutMs: 90_000,
    });
    reviewId = await stack.waitForPendingReview();

    // carol is in `platform`: she may view, but the rule's approvers are `sre`.
    const carol = await browser.newPage();
    await signInAs(carol, stack.consoleUrl, 'carol', '/reviews');
    const pendingForCarol = carol.locator(`article[data-review="${reviewId}"]`);
    await pendingForCarol.waitFor();
    await expect(pendingForCarol.textContent()).resolves.toContain('kubectl delete');
    await pendingForCarol.getByRole('button', { name: 'Approve', exact: true }).click();
    const refusal = pendingForCarol.getByTestId('refusal');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(/approv/i);
    await browser.screenshot(carol, 'review-refused');
    await carol.close();

    // The same browser context: alice signs in after carol's session is replaced by hers.
    const alice = await browser.newPage();
    await alice.context().clearCookies();
    await signInAs(alice, stack.consoleUrl, 'alice', '/reviews');
    const card = alice.locator(`article[data-review="${reviewId}"]`);
    await card.waitFor();
    await browser.screenshot(alice, 'reviews');
    await card.getByLabel('Reason').fill('scratch is disposable');
    await card.getByRole('button', { name: 'Approve', exact: true }).click();

    const result = await deleting;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('namespace "scratch" deleted');

    const decided = alice.locator(`article.review.approved[data-review="${reviewId}"]`);
    await decided.waitFor();
    await expect(decided.locator('.decisions').textContent()).resolves.toMatch(
      /Approved by alice@example\.com via console, .+: “scratch is disposable”/,
    );
    await browser.screenshot(alice, 'reviews-decided');
    await alice.close();
  });

  it('tells someone in no viewer group that they cannot view, and signs them out', async () => {
    const page = await browser.newPage();
    await page.context().clearCookies();
    await signInAs(page, stack.consoleUrl, 'mallory', '/reviews');
    await page.getByRole('heading', { name: 'You cannot view this console' }).waitFor();
    await expect(page.locator('.problem').textContent()).resolves.toContain('mallory');
    await page.getByRole('button', { name: 'Sign out' }).click();
    // Signing out of the console also ends the sign-in at the issuer (its end-session page).
    await page.waitForURL((url) => url.origin === stack.issuerUrl);
    // The console's session is gone: the console asks to sign in again.
    await page.goto(`${stack.consoleUrl}/reviews`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.close();
  });

  it('logged no error, broke no CSP rule and loaded nothing from another origin', () => {
    expect(browser.problems.consoleErrors).toEqual([]);
    expect(browser.problems.pageErrors).toEqual([]);
    expect(browser.problems.cspViolations).toEqual([]);
    expect(browser.problems.foreignRequests).toEqual([]);
    // 401 before each sign-in, 403 for carol's refused approval; nothing else failed.
    expect([...new Set(browser.problems.httpErrors)].sort()).toEqual([
      '401 /api/v1/me',
      `403 /api/v1/reviews/${reviewId}/approve`,
    ]);
  });
});
