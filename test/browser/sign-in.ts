import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Signs in the way a person does: the console's Sign in button, the local issuer's account
 * picker (the sandbox OpenID provider's own login form), and back to the console with the session
 * cookie. Resolves once the console shows who is signed in.
 */
export async function signInAs(page: Page, consoleUrl: string, account: string, path = '/'): Promise<void> {
  await page.goto(`${consoleUrl}${path}`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.locator(`button[name="account"][value="${account}"]`).click();
  await page.getByTestId('signed-in-as').waitFor();
  expect(new URL(page.url()).origin).toBe(consoleUrl);
}
