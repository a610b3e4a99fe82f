/**
 * The notebooks, end to end:
 *  1. committed notebooks are clean (no outputs, no execution counts, the tslab kernel);
 *  2. every notebooks/NN-*.ipynb executes headless, in order, through Jupyter with this checkout's tslab
 *     kernel (the same runner as `npm run pipeline`); any cell error fails its test and prints the
 *     notebook, cell, source and error; notebooks after a failed one are skipped (they read its output);
 *  3. the browser check: each executed notebook is exported to HTML, opened in headless Chromium
 *     (offline), and every plotly plot must have drawn data and every <img> must have loaded;
 *     screenshots go to results/screenshots/.
 *  4. every plot a notebook displayed (counted in its executed copy) is on its page, drawn, with a title
 *     and a title on every axis;
 *  5. the claims: what the executed notebooks print about their own results (computed sentences, the
 *     sanity checks of notebook 04) agrees with the files they wrote under results/runs/, and the
 *     sample's acceptance figures hold (DRIN ≥ best zero-shot floor + 10 points top-1, an image edge
 *     whose removal costs ≥ 2 points).
 * One file, so that 3–5 always run after 2 (node:test runs files in separate processes).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkPages, exportHtml, pageProblems, plotCountProblems, plotOutputCount } from './helpers/browser-check';
import { kernelBackendProblems } from './helpers/kernel-backend';
import { notebookText } from './helpers/notebook-text';

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const EXECUTED = path.join(ROOT, 'results', 'notebooks');
const HTML = path.join(ROOT, 'results', 'html');
const SHOTS = path.join(ROOT, 'results', 'screenshots');

// Same selection and order as scripts/run-notebooks.mjs listNotebooks(): NN-name.ipynb, by file name.
const notebooks = fs.existsSync(NOTEBOOKS) ? fs.readdirSync(NOTEBOOKS).filter((f) => /^\d\d-[\w.-]+\.ipynb$/.test(f)).sort() : [];

type Runner = typeof import('../scripts/run-notebooks.mjs');
const runner = (): Promise<Runner> => import('../scripts/run-notebooks.mjs') as Promise<Runner>;

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

describe('committed notebooks are clean', () => {
  test('there is at least the setup-check notebook', () => {
    assert.ok(notebooks.includes('00-setup-check.ipynb'), `notebooks/ has: ${notebooks.join(', ')}`);
  });
  for (const name of notebooks) {
    test(`${name}: no outputs, no execution counts, kernel tslab (fix: npm run strip)`, () => {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, name), 'utf8'));
      assert.equal(nb.nbformat, 4, `${name}: nbformat`);
      assert.equal(nb.metadata?.kernelspec?.name, 'tslab', `${name}: metadata.kernelspec.name`);
      const long = (nb.cells as Cell[]).flatMap((c, i) =>
        c.cell_type !== 'code' ? [] : (Array.isArray(c.source) ? c.source.join('') : c.source).split('\n')
          .filter((l) => l.length > 100).map((l) => `cell ${i}: ${l.length} chars: ${l.slice(0, 60)}…`));
      assert.deepEqual(long, [], `${name}: code lines longer than 100 characters`);
      const dirty = (nb.cells as Cell[])
        .map((c, i) => ({ c, i }))
        .filter(({ c }) => c.cell_type === 'code' && ((c.outputs?.length ?? 0) > 0 || (c.execution_count ?? null) !== null))
        .map(({ i }) => i);
      assert.deepEqual(dirty, [], `${name}: code cells ${dirty.join(', ')} carry outputs or execution counts; run \`npm run strip\``);
    });
  }
});

const ranOk: string[] = [];

describe('notebooks execute headless, in order', () => {
  let failedBefore: string | undefined;
  for (const name of notebooks) {
    test(name, async (t) => {
      if (failedBefore) {
        t.skip(`not run: it depends on ${failedBefore}, which failed`);
        return;
      }
      const { runNotebook, formatFailure } = await runner();
      const r = await runNotebook(path.join(NOTEBOOKS, name), {
        outDir: EXECUTED,
        onLine: (l: string) => {
          if (process.env.DRIN_TEST_VERBOSE && l.startsWith('  cell ')) console.log(`${name}:${l}`);
        },
      });
      t.diagnostic(`${name}: ${r.seconds.toFixed(1)} s, ${r.cells.length} code cells run`);
      if (!r.ok) {
        failedBefore = name;
        assert.fail(formatFailure(path.join(NOTEBOOKS, name), r));
      }
      ranOk.push(name);
      if (name.startsWith('00-')) {
        // The backend the kernel picked is the one the project's selection (initBackend with readDrinEnv's
        // options, as the notebook calls it) picks in this environment, DRIN_BACKEND set or not: the
        // kernels get this process's DRIN_* variables (jupyterEnv).
        const { initBackend } = await import('../src/backend');
        const { readDrinEnv } = await import('../src/cli/env');
        const want = await initBackend(readDrinEnv().backend);
        t.diagnostic(`selection here: tfjs backend ${want.name} (${want.provider})`);
        assert.deepEqual(kernelBackendProblems(fs.readFileSync(r.output, 'utf8'), want), []);
      }
    });
  }
});

describe('executed notebooks render in headless Chromium', () => {
  test('every plot drew data and every image loaded (screenshots in results/screenshots/)', async (t) => {
    if (!ranOk.length) {
      t.skip('no notebook executed successfully in this run');
      return;
    }
    const { jupyterEnv } = (await import('../scripts/ensure-setup.mjs')) as typeof import('../scripts/ensure-setup.mjs');
    const pages = ranOk.map((name) => ({ notebook: name, html: exportHtml(path.join(EXECUTED, name), HTML, jupyterEnv()) }));
    const reports = await checkPages(pages, SHOTS);
    const problems: string[] = [];
    for (const r of reports) {
      t.diagnostic(
        `${r.notebook}: ${r.plots.length} plots (${r.plots.filter((p) => p.rendered && p.marks > 0).length} with data), ` +
          `${r.images.length} images (${r.images.filter((i) => i.naturalWidth > 0).length} loaded), screenshot ${path.relative(ROOT, r.screenshots[0])}`,
      );
      for (const p of pageProblems(r)) problems.push(`${r.notebook}: ${p}`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    // Every plot the notebook displayed is on its page, drawn, with a title and axis titles (a page
    // with no plot containers would otherwise pass the checks above).
    const counts = reports.map((r) => ({ r, displayed: plotOutputCount(path.join(EXECUTED, r.notebook)) }));
    t.diagnostic(`plots displayed per notebook: ${counts.map(({ r, displayed }) => `${r.notebook} ${displayed}`).join(', ')}`);
    assert.ok(counts.some(({ displayed }) => displayed > 0), 'no executed notebook displayed a plot');
    const unlabelled = counts.flatMap(({ r, displayed }) => plotCountProblems(r, displayed).map((p) => `${r.notebook}: ${p}`));
    assert.deepEqual(unlabelled, [], `charts missing, undrawn, or without a title or axis titles:\n${unlabelled.join('\n')}`);
    const setup = reports.find((r) => r.notebook.startsWith('00-'));
    if (setup) {
      assert.ok(setup.plots.length >= 1, '00-setup-check shows at least one plotly chart');
      assert.ok(setup.images.length >= 1, '00-setup-check shows at least one image (the PNG of its chart)');
    }
  });
});

/** Everything an executed notebook printed or displayed as text, in order. */
const printed = (name: string): string => notebookText(path.join(EXECUTED, name));

const RUNS_SAMPLE = path.join(ROOT, 'results', 'runs', 'sample');
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const num = (text: string, re: RegExp, what: string): number[] => {
  const m = text.match(re);
  assert.ok(m, `the notebook printed no ${what} (looked for ${re})`);
  return m.slice(1).map(Number);
};

describe('the notebooks say what their results show (the synthetic sample)', () => {
  const onSample = !process.env.DRIN_DATASET && !process.env.DRIN_PREPROCESSED;
  const ran = (n: string) => ranOk.some((r) => r.startsWith(n));

  test('04: shapes walk, engine agreement, one-batch overfit, curve sentences match history.json', (t) => {
    if (!ran('04-')) return t.skip('notebook 04 did not run in this test run');
    const text = printed(ranOk.find((r) => r.startsWith('04-'))!);
    const [walk] = num(text, /step by step vs drinForward: max \|Δscore\| = ([\d.e+-]+)/, 'shapes-walk check');
    assert.ok(walk < 1e-5, `step-by-step forward differs from drinForward by ${walk}`);
    const [scores] = num(text, /scores: max \|Δ\| = ([\d.e+-]+)/, 'engine score agreement');
    const [grads] = num(text, /gradients of \d+ parameters: max \|Δ\| = ([\d.e+-]+)/, 'engine gradient agreement');
    assert.ok(scores < 1e-4 && grads < 1e-3, `tfjs vs ort engines: scores ${scores}, gradients ${grads}`);
    const [step] = num(text, /top-1 on the batch first reaches 1\.0 at step (\d+)/, 'one-batch overfit result');
    assert.ok(step <= 40, `one batch reached top-1 = 1.0 only at step ${step}`);
    if (!onSample) return;
    const h = readJson(path.join(RUNS_SAMPLE, 'drin', 'history.json'));
    const [v0, v1] = num(text, /Validation top-1: (\d+\.\d+) → (\d+\.\d+)/, 'validation sentence');
    assert.equal(v0, Number(h[0].valid.top1.toFixed(3)));
    assert.equal(v1, Number(h[h.length - 1].valid.top1.toFixed(3)));
    const [spread] = num(text, /over the second half it moves within (\d+\.\d+) points/, 'plateau sentence');
    const half = h.slice(Math.floor(h.length / 2)).map((e: { valid: { top1: number } }) => e.valid.top1);
    assert.equal(spread, Number(((Math.max(...half) - Math.min(...half)) * 100).toFixed(1)));
    assert.equal(/a plateau\./.test(text), spread < 5, 'the plateau claim does not follow the spread');
    const last = h[h.length - 1];
    assert.equal(/no sign of overfitting/.test(text), last.train.top1 - last.valid.top1 <= 0.1);
    for (const m of text.matchAll(/rises from (\d+\.\d+) to (\d+\.\d+)/g)) assert.ok(Number(m[2]) > Number(m[1]), m[0]);
  });

  test('sample: DRIN beats every zero-shot floor by ≥ 10 points top-1; metrics carry 95 % intervals', (t) => {
    if (!onSample || !ran('05-')) return t.skip('needs notebooks 04 and 05 on the sample');
    const floors = ['bert-zero-shot', 'image-zero-shot', 'clip-zero-shot'];
    const m = Object.fromEntries(['drin', ...floors].map((k) => [k, readJson(path.join(RUNS_SAMPLE, k, 'metrics.json')).test]));
    for (const [k, v] of Object.entries(m)) {
      assert.ok(v.top1Ci95Low <= v.top1 && v.top1 <= v.top1Ci95High, `${k}: top-1 ${v.top1} outside its interval`);
    }
    assert.ok(m.drin.total >= 150, `only ${m.drin.total} test mentions`);
    const best = Math.max(...floors.map((k) => m[k].top1));
    assert.ok(m.drin.top1 >= best + 0.1, `DRIN top-1 ${m.drin.top1} vs best floor ${best}`);
    const text = printed(ranOk.find((r) => r.startsWith('05-'))!);
    const [x, gap, y] = num(text, /DRIN's test top-1 \(([\d.]+) %\) is ([\d.]+) points above the best zero-shot floor \([^,]+, ([\d.]+) %\)/,
      'DRIN-vs-floor sentence');
    assert.ok(Math.abs(x - m.drin.top1 * 100) < 0.06 && Math.abs(y - best * 100) < 0.06, `${x} / ${y}`);
    assert.ok(Math.abs(gap - (x - y)) < 0.15);
  });

  test('sample: ablation.json has every edge, and removing an image edge costs ≥ 2 points', (t) => {
    if (!onSample || !ran('06-')) return t.skip('needs notebook 06 on the sample');
    const a = readJson(path.join(RUNS_SAMPLE, 'drin', 'ablation.json'));
    for (const e of ['tt', 'ti', 'it', 'ii']) {
      assert.equal(typeof a[e]?.top1Drop, 'number', `ablation.json: ${e}.top1Drop`);
      assert.equal(typeof a[e]?.mrrDrop, 'number', `ablation.json: ${e}.mrrDrop`);
    }
    const best = Math.max(a.ti.top1Drop, a.it.top1Drop, a.ii.top1Drop);
    assert.ok(best >= 0.02, `largest image-edge drop ${best}`);
    const text = printed(ranOk.find((r) => r.startsWith('06-'))!);
    const [said] = num(text, /the largest hits@1 drop of an image edge \(ti, it, ii\) is (-?\d+\.\d+) points/, 'ablation sentence');
    assert.equal(said, Number((best * 100).toFixed(1)));
  });
});
