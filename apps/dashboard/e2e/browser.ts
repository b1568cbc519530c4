// Debian's Chromium driven by playwright-core (no browser download): the flags keep it off the
// network this machine refuses; Playwright gives every launch a fresh, empty profile.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import playwright, { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '@postern/testing';

export const CHROMIUM = process.env['POSTERN_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(REPO_ROOT, 'docs', 'screenshots');

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  const browser = await playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/**
 * A page whose console errors and uncaught exceptions on the dashboard's origin are collected (a
 * test asserts there are none; the IdP's own pages are not ours to judge).
 */
export async function openPage(context: BrowserContext, origin: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  const ours = () => page.url().startsWith(origin);
  page.on('console', (message) => {
    if (message.type() === 'error' && ours()) problems.push(`console on ${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => {
    if (ours()) problems.push(`page error on ${page.url()}: ${error.message}`);
  });
  return { page, problems };
}

/**
 * Signs in as the development IdP's `login` the way a person does: the dashboard's Sign in link,
 * the IdP's own login and consent pages, back to the dashboard.
 */
export async function signIn(page: Page, dashboardUrl: string, login: string, path = '/'): Promise<void> {
  await page.goto(`${dashboardUrl}${path}`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await Promise.all([page.waitForEvent('framenavigated'), page.locator('button[type="submit"]').click()]);
  // oidc-provider's consent page comes next on a first sign-in; then the callback to the dashboard.
  const consent = page.locator('input[name="prompt"][value="consent"]');
  await page.waitForFunction(
    (origin) =>
      window.location.href.startsWith(origin) || document.querySelector('input[name="prompt"][value="consent"]'),
    dashboardUrl,
    { timeout: 60_000 },
  );
  if (!page.url().startsWith(dashboardUrl) && (await consent.count()) > 0) {
    await page.locator('button[type="submit"]').click();
  }
  await page.waitForURL((url) => url.href.startsWith(dashboardUrl), { timeout: 60_000 });
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 60_000 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
