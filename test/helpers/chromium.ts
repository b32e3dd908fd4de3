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
