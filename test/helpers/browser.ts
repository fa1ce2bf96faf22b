// A real headless Chromium for the console's tests: Debian's `chromium` package, driven by
// playwright-core (whose own browser download is not used). Each test gets a fresh context (its own
// sessionStorage) that records every request the page makes and every error it logs.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The browser, or an error that says why not: a missing browser fails the tests, it never skips them. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary)`);
  }
  try {
    // playwright-core gives every launch a fresh temporary profile (user-data-dir).
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
  } catch (error) {
    throw new Error(`Chromium at ${CHROMIUM_PATH} did not start: ${String((error as Error).message).split('\n')[0]}`);
  }
}

/**
 * One browser for a test file, launched by the first test that needs it; should it not start,
 * every browser test fails with the reason (a hook's failure would show them as skipped).
 */
export function sharedChromium(): { browser: () => Promise<Browser>; close: () => Promise<void> } {
  let launching: Promise<Browser> | undefined;
  return {
    browser: () => (launching ??= launchChromium()),
    close: async () => void (await (await launching?.catch(() => undefined))?.close()),
  };
}

/** Browser tests' own timeout: a cold Chromium start on a busy machine takes seconds. */
export const BROWSER_TEST = { timeout: 90_000 };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Every request the page made, the document and its files included. */
  requests: RecordedRequest[];
  /** console.error lines (a CSP violation, a failed load) and uncaught exceptions. */
  consoleErrors: string[];
  pageErrors: string[];
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const watched: WatchedPage = { context, page, requests: [], consoleErrors: [], pageErrors: [] };
  context.on('request', (request) => watched.requests.push({ method: request.method(), url: request.url(), headers: request.headers() }));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => watched.pageErrors.push(error.message));
  return watched;
}
