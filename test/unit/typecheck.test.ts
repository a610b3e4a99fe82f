/** The whole library type-checks under `strict` (what `npm run typecheck` runs); notebooks rely on dist/ built from it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

test('tsc -p tsconfig.json --noEmit reports no errors', () => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8', timeout: 180000 });
  const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS\d+/.test(l));
  assert.equal(r.status, 0, `${errors.length} type errors:\n${errors.slice(0, 30).join('\n')}`);
});
