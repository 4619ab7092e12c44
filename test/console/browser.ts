/**
 * Headless Chromium for the console's tests: Debian's `chromium` driven by playwright-core (its
 * own browser download needs the internet). Without it the tests are skipped, saying so — and
 * in CI they fail instead, since `.ci/run` installs it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../e2e/harness';

const CANDIDATES = [process.env.HOPPER_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
export const CHROMIUM = CANDIDATES.find((p) => existsSync(p));

/** Screenshots kept from a run (not committed: .gitignore). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Declares the browser tests: real ones, a CI failure, or a visible skip. */
export function whenChromium(describeTests: () => void, it: (name: string, fn: () => void) => void, skip: (name: string, fn: () => void) => void): void {
  if (CHROMIUM) return describeTests();
  if (process.env.CI) {
    it('finds Chromium installed (required in CI)', () => {
      throw new Error('chromium is not installed; CI must install it (apt-get install chromium)');
    });
    return;
  }
  console.warn('NOTE: chromium is not installed: the web console was NOT tested in a browser (CI requires it)');
  skip('the web console in a browser (skipped: chromium not installed)', () => {});
}
