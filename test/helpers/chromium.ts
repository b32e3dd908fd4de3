/**
 * Debian's Chromium driven by playwright-core, as the browser tests and benchmarks run it:
 * headless, and with the switches that keep it from reaching for the network (this machine has
 * none beyond the package mirrors, and Chromium would try).
 */
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Why Chromium cannot run here, if it cannot. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `no ${CHROMIUM} (apt-get install chromium, or scripts/install-system-packages.sh)`;
}

/** Starts the browser (playwright-core is loaded only then: a machine without Chromium needs neither). */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Keeps what goes wrong on `page` in `problems`, for a test to find none: console errors and
 * warnings, uncaught errors, failed requests (but the live stream, cut when the page goes away)
 * and answers of 400 or more.
 */
export function recordProblems(page: import('playwright-core').Page, problems: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!r.url().endsWith('/api/live')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}

/** Waits until the page's panel `id` is in `state` (its `data-state`: ready, empty, absent…). */
export function panelState(
  page: import('playwright-core').Page,
  id: string,
  state: string,
  timeout = 20_000,
): Promise<unknown> {
  return page.waitForFunction(
    ([id, state]) =>
      (
        globalThis as unknown as {
          document: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
        }
      ).document
        .querySelector(`[data-panel="${id}"]`)
        ?.getAttribute('data-state') === state,
    [id, state] as const,
    { timeout },
  );
}
