/**
 * The tfjs backend a notebook kernel reports against the one the project's selection picks: notebook
 * 00 prints `describeBackend(await initBackend(readDrinEnv().backend))` ("tfjs backend: <name>
 * (<package> ...)"); the kernel gets the test's DRIN_* variables, so the same call here must agree.
 */
import type { BackendChoice } from '../../src/backend';

/** Name and package of the first "tfjs backend: ..." line in an executed notebook's text, or null. */
export function reportedBackend(executedText: string): { name: string; pkg: string } | null {
  const m = /tfjs backend: (\w+) \((@[\w./-]+)/.exec(executedText);
  return m ? { name: m[1], pkg: m[2] } : null;
}

/** What is wrong with the reported backend given the selection's choice (empty = they agree). */
export function kernelBackendProblems(executedText: string, want: BackendChoice, drinBackend = process.env.DRIN_BACKEND): string[] {
  const got = reportedBackend(executedText);
  if (!got) return ['the notebook printed no "tfjs backend: <name> (<package> ...)" line'];
  const wantPkg = /^@[\w./-]+/.exec(want.provider)?.[0];
  if (got.name === want.name && got.pkg === wantPkg) return [];
  return [`the kernel runs tfjs backend ${got.name} (${got.pkg}); the selection picks ${want.name} (${want.provider}) here (DRIN_BACKEND=${drinBackend ?? '(unset)'})`];
}
