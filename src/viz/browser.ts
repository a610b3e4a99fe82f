/**
 * Headless Chromium for figure PNGs and the notebook browser test: the system browser (Debian
 * `chromium`) driven by playwright-core, offline, with a throw-away profile.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';

/** Flags for a quiet, offline, sandbox-free headless Chromium (works as root in containers). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Where Chromium is looked for when no path is given. scripts/ensure-setup.mjs (which installs it for
 * `npm test`, before node_modules exists, so it cannot import this file) keeps the same list.
 */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/snap/bin/chromium',
  '/opt/homebrew/bin/chromium',
  '/usr/local/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/**
 * Path of the Chromium binary, or undefined: `explicit` when given (the CLI and the tests pass
 * `$CHROMIUM_PATH`; authoritative: a path that does not exist means "no Chromium"), else the first of
 * {@link CHROMIUM_PATHS} that exists.
 */
export function findChromium(explicit?: string): string | undefined {
  if (explicit) return fs.existsSync(explicit) ? explicit : undefined;
  return CHROMIUM_PATHS.find((c) => fs.existsSync(c));
}

/** Like {@link findChromium}, but throws naming the package to install when there is none. */
export function chromiumPath(explicit?: string): string {
  const found = findChromium(explicit);
  if (found) return found;
  throw new Error(
    `no Chromium found (${explicit ? `${explicit} does not exist` : `tried ${CHROMIUM_PATHS.join(', ')}`}); install the package chromium ` +
      '(Debian: apt-get install chromium; `npm test` installs it) or set CHROMIUM_PATH',
  );
}

/**
 * Launch Chromium with a fresh `--user-data-dir` (a temporary profile), run `fn` with the browser
 * context, and always close the browser and delete the profile.
 *
 * ```ts
 * await withChromium(async (ctx) => { const page = await ctx.newPage(); await page.goto(url); });
 * ```
 */
export async function withChromium<T>(
  fn: (context: BrowserContext) => Promise<T>,
  opts: { viewport?: { width: number; height: number }; offline?: boolean; chromiumPath?: string } = {},
): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- playwright-core is a dev dependency, loaded only when a browser is needed
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath(opts.chromiumPath),
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: opts.viewport ?? { width: 1200, height: 900 },
      offline: opts.offline ?? true,
    });
    try {
      return await fn(context);
    } finally {
      await context.close().catch(() => undefined);
    }
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
