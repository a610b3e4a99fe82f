#!/usr/bin/env node
// `npm test`: set up what is missing (scripts/ensure-setup.mjs), then run node:test (via tsx) on
//   test/**/*.test.ts (unit tests, and test/notebooks.test.ts: the notebooks and the browser check),
//   one file at a time. Node 20's --test takes no glob patterns, hence this launcher (node sorts the
//   files by path, so test/notebooks.test.ts runs before test/unit/).
//   npm test                       everything
//   npm test -- --unit             unit tests only (no Jupyter needed)
//   npm test -- test/unit/x.test.ts [more files]   just these
// The spec reporter ends with the summary CI reads (tests / pass / fail / skipped).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, ensureSetup } from './ensure-setup.mjs';

function testFiles(dir, recurse) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && recurse) out.push(...testFiles(p, true));
    else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const named = args.filter((a) => !a.startsWith('--'));
const passThrough = args.filter((a) => a.startsWith('--') && a !== '--unit');

const unit = testFiles(path.join(ROOT, 'test', 'unit'), true);
const top = testFiles(path.join(ROOT, 'test'), false);
const files = named.length ? named.map((f) => path.resolve(f)) : unitOnly ? unit : [...unit, ...top];
for (const f of files) if (!fs.existsSync(f)) throw new Error(`no such test file: ${f}`);

const needsJupyter = files.some((f) => !f.includes(`${path.sep}unit${path.sep}`));
try {
  ensureSetup({ jupyter: needsJupyter, build: needsJupyter, chromium: true }); // unit tests run src/ through tsx: no build
} catch (e) {
  console.error(`[setup] FAILED: ${e.message}`);
  process.exit(1);
}

// the whole suite (not a list of files) starts with the lint (eslint.config.mjs)
if (!named.length) {
  const lint = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.'], { cwd: ROOT, stdio: 'inherit' });
  if (lint.status !== 0) process.exit(lint.status ?? 1);
}

const t0 = Date.now();
const skipLog = path.join(ROOT, 'results', 'test-skipped.jsonl');
fs.mkdirSync(path.dirname(skipLog), { recursive: true });
fs.rmSync(skipLog, { force: true });
const r = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${path.join(ROOT, 'scripts', 'skip-reporter.mjs')}`, `--test-reporter-destination=${skipLog}`,
    ...passThrough, ...files.map((f) => path.relative(ROOT, f)),
  ],
  { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } },
);
const skipped = fs.existsSync(skipLog)
  ? fs.readFileSync(skipLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  : [];
console.log(`\n${files.length} test files in ${((Date.now() - t0) / 1000).toFixed(0)} s (exit ${r.status ?? r.signal})`);
console.log(
  skipped.length
    ? `skipped ${skipped.length}: ${skipped.map((s) => `${s.name} [${path.relative(ROOT, s.file ?? '')}] (${s.reason})`).join('; ')}`
    : 'skipped 0',
);
process.exit(r.status ?? 1);
