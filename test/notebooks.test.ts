/**
 * The notebooks, end to end:
 *  1. committed notebooks are clean (no outputs, no execution counts, the tslab kernel);
 *  2. every notebooks/NN-*.ipynb executes headless, in order, through Jupyter with this checkout's tslab
 *     kernel (the same runner as `npm run pipeline`); any cell error fails its test and prints the
 *     notebook, cell, source and error; notebooks after a failed one are skipped (they read its output);
 *  3. the browser check: each executed notebook is exported to HTML, opened in headless Chromium
 *     (offline), and every plotly plot must have drawn data and every <img> must have loaded;
 *     screenshots go to results/screenshots/.
 * One file, so that 3 always runs after 2 (node:test runs files in separate processes).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkPages, exportHtml, pageProblems } from './helpers/browser-check';

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
        // The backend the kernel picked must follow DRIN_BACKEND (the variable reaches the kernels).
        const out = fs.readFileSync(r.output, 'utf8');
        const want = process.env.DRIN_BACKEND?.trim().toLowerCase();
        const m = out.match(/tfjs backend: (\w+)/);
        assert.ok(m, '00-setup-check printed no "tfjs backend: ..." line');
        if (want) assert.equal(m[1], want === 'node' || want === 'gpu' ? 'tensorflow' : want, `DRIN_BACKEND=${want} did not reach the kernel`);
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
    const setup = reports.find((r) => r.notebook.startsWith('00-'));
    if (setup) {
      assert.ok(setup.plots.length >= 1, '00-setup-check shows at least one plotly chart');
      assert.ok(setup.images.length >= 1, '00-setup-check shows at least one image (the PNG of its chart)');
    }
  });
});
