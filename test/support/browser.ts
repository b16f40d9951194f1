/**
 * A real Chromium for the console's browser tests, driven by playwright-core (no browser download:
 * the system's Chromium, Debian's `chromium` package, which .ci/run installs).
 *
 * - {@link findChromium}: `$CHROMIUM_PATH`, else the usual install paths; tests that need it use
 *   {@link describeWithChromium}, skipped with the reason in the title where there is none.
 * - {@link openConsoleBrowser}: one browser context that trusts exactly the console's serving
 *   certificate (its public key pinned with `--ignore-certificate-errors-spki-list`, nothing
 *   else), with watchers for what must never happen on a console page: a console error, an
 *   uncaught exception, a Content-Security-Policy violation, a request to another origin.
 * - Screenshots go to `test-output/console/` (gitignored).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { describe } from 'vitest';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const SCREENSHOT_DIR = new URL('../../test-output/console/', import.meta.url).pathname;

export function findChromium(): string | undefined {
  const configured = process.env['CHROMIUM_PATH'];
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** `describe` that is skipped, saying why in its title, where no Chromium is installed. */
export function describeWithChromium(title: string, body: () => void): void {
  if (findChromium()) describe(title, body);
  else describe.skip(`${title} (skipped: no Chromium at ${CANDIDATES.join(', ')} or $CHROMIUM_PATH)`, body);
}

/** What a console page did that it must not: each entry one readable line. */
export interface PageProblems {
  consoleErrors: string[];
  /**
   * Chromium logs every answer of 400 or above as a console error ("Failed to load resource");
   * the console's are kept apart, as `<status> <path>`, so a test can check they are exactly the
   * refusals it provoked.
   */
  httpErrors: string[];
  pageErrors: string[];
  cspViolations: string[];
  foreignRequests: string[];
}

export interface ConsoleBrowser {
  browser: Browser;
  context: BrowserContext;
  /** A new tab whose problems are collected into {@link problems}. */
  newPage(): Promise<Page>;
  problems: PageProblems;
  /**
   * Saves test-output/console/<name>.png (the full page) and <name>.jpg (the viewport, small
   * enough for docs/images) and returns the PNG's path.
   */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate: what Chromium's SPKI pin list takes. */
function spkiPin(certificatePem: string): string {
  const der = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

export async function openConsoleBrowser(options: {
  /** The console's origin, e.g. https://127.0.0.1:40123. */
  origin: string;
  /** The console's serving certificate (PEM): the only certificate the browser accepts unverified. */
  certificatePem: string;
  /** Other origins the browser may visit (the identity provider during sign-in). */
  allowedOrigins?: string[];
  viewport?: { width: number; height: number };
}): Promise<ConsoleBrowser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium: use describeWithChromium');
  const browser = await chromium.launch({
    executablePath,
    args: [`--ignore-certificate-errors-spki-list=${spkiPin(options.certificatePem)}`],
  });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  const problems: PageProblems = {
    consoleErrors: [],
    httpErrors: [],
    pageErrors: [],
    cspViolations: [],
    foreignRequests: [],
  };
  const allowed = new Set([options.origin, ...(options.allowedOrigins ?? [])]);
  // Reported by the page itself: CSP violations fire a DOM event (script injected over CDP,
  // which the page's CSP does not apply to).
  await context.exposeBinding('__reportCspViolation', (_source, line: string) => {
    problems.cspViolations.push(line);
  });
  // A string, not a function: it runs in the page, which this file's Node types do not describe.
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    window.__reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline') +
      ' at ' + event.sourceFile + ':' + event.lineNumber);
  });`);
  context.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    // What the identity provider's own pages load is the provider's business, not the console's.
    const from = request.isNavigationRequest() ? options.origin : new URL(request.frame().url()).origin;
    if (from === options.origin && !allowed.has(url.origin)) problems.foreignRequests.push(request.url());
  });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  return {
    browser,
    context,
    problems,
    async newPage() {
      const page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() !== 'error') return;
        const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(
          message.text(),
        );
        const at = new URL(message.location().url || page.url());
        // The identity provider's own pages (its sign-in and sign-out pages) are not the console's.
        if (new URL(page.url()).origin !== options.origin || at.origin !== options.origin) return;
        if (failed) problems.httpErrors.push(`${failed[1]} ${at.pathname}`);
        else problems.consoleErrors.push(`${page.url()}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.pageErrors.push(`${page.url()}: ${error.message}`));
      return page;
    },
    async screenshot(page, name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.jpg`), type: 'jpeg', quality: 70 });
      return path;
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}

/** The browser for a test stack's console, which may also visit the stack's identity provider. */
export function openStackBrowser(stack: {
  consoleUrl: string;
  consoleCertPem: string;
  issuerUrl: string;
}): Promise<ConsoleBrowser> {
  return openConsoleBrowser({
    origin: stack.consoleUrl,
    certificatePem: stack.consoleCertPem,
    allowedOrigins: [stack.issuerUrl],
  });
}
