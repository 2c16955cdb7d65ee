// Browser tests: Debian's chromium package (.ci/run installs it), driven by playwright-core, with no
// browser download. Outside CI a machine without it skips the test with a warning; under CI=true the
// test runs and fails, so a CI that lost its Chromium cannot pass by skipping.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether this machine lacks Chromium. */
export const chromiumMissing = !existsSync(CHROMIUM);

/** `it` for a test that needs Chromium: `it.skip` (with a warning naming `what`) when it is missing outside CI. */
export function itWithChromium(what: string): jest.It {
  if (!chromiumMissing || process.env.CI === 'true') return it;
  process.stderr.write(`SKIPPED ${what}: no Chromium at ${CHROMIUM} (apt-get install -y chromium). Under CI=true this fails instead.\n`);
  return it.skip;
}

/** A headless Chromium; throws when there is none (under CI=true, where itWithChromium does not skip). */
export async function launchChromium(): Promise<Browser> {
  if (chromiumMissing)
    throw new Error(`Chromium is required under CI=true but ${CHROMIUM} is missing: .ci/run must apt-get install chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
