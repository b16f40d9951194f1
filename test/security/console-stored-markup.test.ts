/**
 * Stored cross-site scripting through the console: what an agent reads and prints is recorded and
 * later shown to an approver, so an agent (or whoever controls a cluster object) could try to
 * plant markup that runs in the approver's browser. Here the agent prints markup in an exec and
 * reads a ConfigMap whose value is markup; in a real Chromium, the session's timeline, the call's
 * response body and the exec replay show that markup as text: no element is created from it, no
 * handler runs, and the CSP never even has to block anything.
 */
import { prepareCreate } from '@hoop-gateway/sandbox/objects/admit';
import { resourceTypeNamed } from '@hoop-gateway/sandbox/resources';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execTyping, KUBECTL_VERSION } from '../browser/agent-work.ts';
import { type ConsoleStack, startConsoleStack } from '../browser/console-stack.ts';
import { signInAs } from '../browser/sign-in.ts';
import { type ConsoleBrowser, describeWithChromium, openStackBrowser } from '../support/browser.ts';
import { runKubectl } from '../support/kubectl.ts';

/** Would set `document.title` if it ever ran; the marker class would exist if it were ever parsed as HTML. */
const MARKUP = '<img class="planted" src="x" onerror="document.title=42"><script>document.title=42</script>';

describeWithChromium('stored markup in recordings is shown as text in the console', () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let execSession: string;
  let readSession: string;

  beforeAll(async () => {
    stack = await startConsoleStack();
    stack.sandbox.store.create(
      'configmaps',
      prepareCreate(resourceTypeNamed('configmaps'), 'scratch', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'planted', namespace: 'scratch' },
        data: { note: MARKUP },
      }),
    );
    const kubeconfig = await stack.kubeconfigFor('agent-1');
    await execTyping(kubeconfig, [`echo '${MARKUP}'`]);
    execSession = await stack.waitForSession((s) => s.command === 'kubectl exec' && s.state === 'closed');
    const read = await runKubectl({
      kubeconfig,
      version: KUBECTL_VERSION,
      args: ['-n', 'scratch', 'get', 'configmap', 'planted', '-o', 'json'],
    });
    expect(read.stdout).toContain('onerror');
    readSession = await stack.waitForSession((s) => s.command === 'kubectl get' && s.state === 'closed');
    browser = await openStackBrowser(stack);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('shows a recorded response body holding markup as text', async () => {
    const page = await browser.newPage();
    await signInAs(page, stack.consoleUrl, 'alice', `/sessions/${readSession}`);
    await page.locator('tr.call', { hasText: 'get configmaps scratch/planted' }).getByRole('button').click();
    const details = page.locator('.call-details');
    await details.waitFor();
    await expect(details.textContent()).resolves.toContain('onerror=\\"document.title=');
    expect(await page.locator('.planted').count()).toBe(0);
    expect(await page.title()).not.toBe('42');
    await page.close();
  });

  it('replays exec output holding markup as text', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.consoleUrl}/sessions/${execSession}`);
    await page.getByRole('link', { name: /^Replay exec/ }).click();
    await page.locator('.ap-player').click();
    await page.locator('.ap-term-text', { hasText: 'onerror' }).waitFor({ timeout: 15_000 });
    await page.locator('summary', { hasText: 'Output as text' }).click();
    await expect(page.getByTestId('cast-text').textContent()).resolves.toContain(MARKUP);
    expect(await page.locator('.planted').count()).toBe(0);
    expect(await page.title()).not.toBe('42');
    await page.close();
  });

  it('never had anything to block', () => {
    expect(browser.problems.cspViolations).toEqual([]);
    expect(browser.problems.pageErrors).toEqual([]);
    expect(browser.problems.consoleErrors).toEqual([]);
    expect(browser.problems.foreignRequests).toEqual([]);
  });
});
