/**
 * Manual check (not part of `npm test`; ~40 s): the plots also render in the LIVE classic Jupyter
 * Notebook UI, where require.js (an AMD loader) is on the page. Starts `jupyter notebook` on a copy
 * of notebooks/00-setup-check.ipynb, runs all cells from the browser, and checks the plot, table and image.
 *   node --import tsx test/manual/live-notebook.ts        → screenshot results/screenshots/live-classic-notebook.png
 * (JupyterLab is not packaged for Debian and PyPI is not reachable here, so it is not checked automatically.)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withChromium } from '../../src/viz/browser';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-live-'));
  fs.mkdirSync(path.join(dir, 'notebooks'));
  fs.symlinkSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.copyFileSync(path.join(ROOT, 'notebooks', '00-setup-check.ipynb'), path.join(dir, 'notebooks', 'live.ipynb'));
  const port = 8800 + Math.floor(Math.random() * 100);
  const env = { ...process.env, JUPYTER_PATH: path.join(ROOT, '.cache', 'jupyter') };
  const server = spawn('jupyter', ['notebook', '--allow-root', '--no-browser', `--port=${port}`, '--ip=127.0.0.1', "--NotebookApp.token=''", "--NotebookApp.password=''", `--notebook-dir=${dir}`], { env, stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 6000));
    await withChromium(
      async (ctx) => {
        const page = await ctx.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`http://127.0.0.1:${port}/notebooks/notebooks/live.ipynb`, { waitUntil: 'load' });
        await page.waitForFunction('window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()', undefined, { timeout: 60000 });
        await page.evaluate('Jupyter.notebook.execute_all_cells()');
        await page.waitForFunction("document.querySelectorAll('.drin-plot .main-svg').length >= 1 && document.querySelectorAll('.output_area img').length >= 1", undefined, { timeout: 120000 });
        await page.waitForTimeout(1000);
        const info = await page.evaluate(
          `({ plots: document.querySelectorAll('.drin-plot.js-plotly-plot').length, points: document.querySelectorAll('.drin-plot g.trace path.point').length,
              tables: document.querySelectorAll('table.drin-table').length, images: Array.from(document.querySelectorAll('.output_area img')).map((i) => i.naturalWidth),
              amdLoaderOnPage: typeof window.define === 'function', plotly: typeof window.Plotly })`,
        );
        const shot = path.join(ROOT, 'results', 'screenshots', 'live-classic-notebook.png');
        fs.mkdirSync(path.dirname(shot), { recursive: true });
        await (await page.$('.drin-plot'))!.screenshot({ path: shot });
        console.log(JSON.stringify(info), errors.length ? errors : 'no page errors', `→ ${shot}`);
        const i = info as { plots: number; points: number; images: number[] };
        if (i.plots < 1 || i.points < 1 || i.images.some((w) => w <= 0) || errors.length) process.exitCode = 1;
      },
      { offline: false },
    );
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
