// What a test needs from outside the repository (../shared, a system package, a binary), in one place.
//
//   test('parity', { skip: needs(fs.existsSync(FIX), `../shared absent: ${FIX} not found`) }, ...)
//
// Outside CI a missing need skips the test with the reason (scripts/test.mjs lists every skip at the
// end). Under CI=true nothing may skip silently: the test is skipped AND a failing test named
// "missing requirement: <reason>" is registered once per reason, so the run fails and says why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

export const SHARED_DIR = path.resolve(__dirname, '..', '..', '..', 'shared');

const failed = new Set<string>();

/** `false` when `present`; otherwise the skip reason (and, under CI=true, a failing test naming it). */
export function needs(present: boolean, reason: string): false | string {
  if (present) return false;
  if (process.env.CI === 'true' && !failed.has(reason)) {
    failed.add(reason);
    test(`missing requirement: ${reason}`, () => {
      throw new Error(`CI=true and a test cannot run: ${reason}. CI must provide it (../shared beside the checkout, or the package named).`);
    });
  }
  return reason;
}

/** needs() for a path under ../shared (relative to it). */
export function needsShared(rel: string): false | string {
  const p = path.join(SHARED_DIR, rel);
  return needs(fs.existsSync(p), `../shared absent: ${path.join('shared', rel)} not found`);
}

/**
 * The same rule inside a running test: `if (lacks(t, fs.existsSync(dir), '../shared absent: …')) return;`
 * skips the test outside CI and fails it with the reason under CI=true. Returns true when it skipped.
 */
export function lacks(t: { skip(message?: string): void }, present: boolean, reason: string): boolean {
  if (present) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and a test cannot run: ${reason}`);
  t.skip(reason);
  return true;
}
