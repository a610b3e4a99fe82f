#!/usr/bin/env node
// Execute notebooks/NN-*.ipynb in order, headless, with the tslab kernel of this checkout (nbclient via
// scripts/execute_notebook.py), cwd = notebooks/. Executed copies go to results/notebooks/ (also the
// partial copy of a failed notebook). On failure: the notebook, the cell number, its source and the
// error are printed, later notebooks are not run (they read what the failed one should have written),
// and the exit status is 1.
//
//   node scripts/run-notebooks.mjs                 # all
//   node scripts/run-notebooks.mjs 00 03           # a subset, by number or name prefix
//   node scripts/run-notebooks.mjs --from 03       # 03 and everything after it
//   node scripts/run-notebooks.mjs --keep-going    # run the rest after a failure
// Options: --timeout SECONDS (per cell, default 900), --out DIR (default results/notebooks).
// DRIN_* environment variables (DRIN_BACKEND, DRIN_DATASET, ...) reach the kernels unchanged.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, jupyterEnv, jupyterPython, KERNEL_NAME } from './ensure-setup.mjs';

export const NOTEBOOKS = path.join(ROOT, 'notebooks');
export const EXECUTED = path.join(ROOT, 'results', 'notebooks');

/** Pipeline notebooks are named NN-name.ipynb; anything else in notebooks/ (scratch) is not run. */
export const NOTEBOOK_NAME = /^\d\d-[\w.-]+\.ipynb$/;

/** notebooks/NN-*.ipynb sorted by name (the NN- prefix gives the order). */
export function listNotebooks(dir = NOTEBOOKS) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => NOTEBOOK_NAME.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Pick notebooks by number/name prefix (`03`, `03-encode`, `03-encode-features.ipynb`) or `--from`. */
export function selectNotebooks(all, names = [], from) {
  let sel = all;
  if (from) {
    const i = all.findIndex((f) => path.basename(f).startsWith(from));
    if (i < 0) throw new Error(`--from ${from}: no notebook starts with that (have: ${all.map((f) => path.basename(f)).join(', ')})`);
    sel = all.slice(i);
  }
  if (names.length) {
    sel = sel.filter((f) => names.some((n) => path.basename(f).startsWith(path.basename(n).replace(/\.ipynb$/, ''))));
    const missing = names.filter((n) => !all.some((f) => path.basename(f).startsWith(path.basename(n).replace(/\.ipynb$/, ''))));
    if (missing.length) throw new Error(`no notebook matches ${missing.join(', ')} (have: ${all.map((f) => path.basename(f)).join(', ')})`);
  }
  return sel;
}

/**
 * Execute one notebook. Resolves to `{ok, seconds, cells, error, output}`; never rejects for a cell
 * error (it rejects only when the executor itself cannot start).
 */
export function runNotebook(file, { outDir = EXECUTED, timeout = 900, env = process.env, onLine } = {}) {
  const py = jupyterPython();
  if (!py) throw new Error('no Python with nbclient found: run `node scripts/ensure-setup.mjs` (it installs Jupyter)');
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.basename(file);
  const output = path.join(outDir, base);
  const resultFile = path.join(outDir, `.${base}.result.json`);
  fs.rmSync(resultFile, { force: true });
  const args = [
    path.join(ROOT, 'scripts', 'execute_notebook.py'),
    file,
    output,
    resultFile,
    '--cwd',
    path.dirname(file),
    '--kernel',
    KERNEL_NAME,
    '--timeout',
    String(timeout),
  ];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(py, args, { cwd: path.dirname(file), env: jupyterEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const take = (chunk) => {
      const s = chunk.toString();
      log += s;
      if (log.length > 200000) log = log.slice(-100000);
      for (const line of s.split('\n')) if (line.trim() && onLine) onLine(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      let result;
      try {
        result = JSON.parse(fs.readFileSync(resultFile, 'utf8'));
      } catch {
        result = {
          ok: false,
          cells: [],
          error: { cell: null, codeCell: null, source: '', ename: 'ExecutorFailed', evalue: `execute_notebook.py exited ${code} without a result`, traceback: [], outputs: log.slice(-8000) },
        };
      }
      fs.rmSync(resultFile, { force: true });
      resolve({ ...result, ok: result.ok && code === 0, seconds: (Date.now() - t0) / 1000, output, log });
    });
  });
}

const rel = (p) => (p && !path.relative(ROOT, p).startsWith('..') ? path.relative(ROOT, p) : p);

// ANSI colour codes from kernels' tracebacks make logs unreadable in CI files.
// eslint-disable-next-line no-control-regex -- the pattern matches the ESC control character on purpose
const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** Multi-line description of a failed run: notebook, cell, source, error. */
export function formatFailure(file, r) {
  const e = r.error ?? {};
  const where = e.cell === null || e.cell === undefined ? 'before the first cell ran' : `cell ${e.cell} (code cell ${e.codeCell ?? '?'})`;
  const src = (e.source ?? '').split('\n').map((l, i) => `  ${String(i + 1).padStart(3)} | ${l}`).join('\n');
  const tb = stripAnsi((e.traceback ?? []).join('\n')).trim();
  const outputs = stripAnsi(e.outputs ?? '').trim();
  return [
    `NOTEBOOK FAILED: ${rel(file)}, ${where}`,
    src ? `--- source ---\n${src}` : '',
    `--- error ---\n${e.ename ?? 'Error'}: ${stripAnsi(e.evalue ?? '')}`,
    tb ? `--- traceback ---\n${tb}` : '',
    outputs ? `--- cell output (stdout/stderr) ---\n${outputs}` : '',
    `--- partial executed copy: ${rel(r.output ?? '')}`,
  ]
    .filter(Boolean)
    .join('\n');
}

async function main(argv) {
  const names = [];
  let from;
  let timeout = 900;
  let outDir = EXECUTED;
  let keepGoing = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from') from = argv[++i];
    else if (a === '--timeout') timeout = Number(argv[++i]);
    else if (a === '--out') outDir = path.resolve(argv[++i]);
    else if (a === '--keep-going') keepGoing = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: run-notebooks.mjs [NN|name ...] [--from NN] [--timeout s] [--out dir] [--keep-going]');
      return 0;
    } else names.push(a);
  }
  const nbs = selectNotebooks(listNotebooks(), names, from);
  if (!nbs.length) {
    console.error('no notebooks to run (notebooks/*.ipynb)');
    return 1;
  }
  console.log(`running ${nbs.length} notebook(s) headless (kernel ${KERNEL_NAME}, DRIN_BACKEND=${process.env.DRIN_BACKEND ?? '(auto)'}) → ${rel(outDir)}/`);
  const summary = [];
  let failed = 0;
  for (const nb of nbs) {
    const name = path.basename(nb);
    console.log(`▶ ${name}`);
    const r = await runNotebook(nb, { outDir, timeout, onLine: (l) => l.startsWith('  cell ') && console.log(`  ${name}:${l.slice(1)}`) });
    summary.push(`${r.ok ? 'ok  ' : 'FAIL'} ${r.seconds.toFixed(1).padStart(7)} s  ${name}`);
    if (!r.ok) {
      failed++;
      console.error(formatFailure(nb, r));
      if (!keepGoing) {
        const rest = nbs.slice(nbs.indexOf(nb) + 1).map((f) => path.basename(f));
        if (rest.length) summary.push(`not run (they depend on ${name}): ${rest.join(', ')}`);
        break;
      }
    }
  }
  console.log(`\n${summary.join('\n')}`);
  console.log(failed ? `${failed} notebook(s) failed` : `all ${nbs.length} notebook(s) ran; executed copies in ${rel(outDir)}/`);
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`run-notebooks: ${e.message}`);
      process.exit(1);
    },
  );
}
