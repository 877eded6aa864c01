import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Debian's Chromium package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

// Quiet, loopback-only Chromium: no sandbox (containers), no background traffic to any outside service.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A browser profile of its own (cookies, storage) pointed at the app, in UTC with its date fixed at `today`, so
 * the page shows times the same way on every run. Timers still run.
 */
export async function newUserContext(browser: Browser, baseURL: string, today: Date): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  await context.clock.setFixedTime(today);
  return context;
}

/** Fills and sends the login form with the keyboard only (the email field has focus when the page opens). */
export async function submitLoginWithKeyboard(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').waitFor();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
}

/** Logs in with the keyboard and waits for the chat to show. */
export async function logInWithKeyboard(page: Page, email: string, password: string): Promise<void> {
  await submitLoginWithKeyboard(page, email, password);
  await page.getByRole('navigation', { name: 'Channels' }).waitFor();
}
