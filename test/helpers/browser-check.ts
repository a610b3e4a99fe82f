/**
 * Browser check of executed notebooks: export to HTML with `jupyter nbconvert --to html`, open each
 * page in headless Chromium (offline), and report per page the plots that rendered (plotly SVG with
 * drawn traces), the images that loaded, script errors, and the screenshots written.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withChromium } from '../../src/viz/browser';

export interface PlotReport {
  /** Position among the page's plot containers. */
  index: number;
  title: string;
  /** plotly drew into the container (it got class js-plotly-plot and a .main-svg). */
  rendered: boolean;
  /** Trace groups drawn (g.trace, pie slices, ...). */
  traces: number;
  /** Drawn primitives inside the traces: non-trivial paths, points, heatmap images. */
  marks: number;
  /** The container's text when empty (e.g. the "plotly.js is not loaded" note). */
  text: string;
  /** The title plotly drew (empty when the layout's title was missing or a plain string, which plotly.js 3 ignores). */
  drawnTitle: string;
  /** Cartesian x / y axes drawn, and how many of them got a non-empty axis title. */
  xAxes: number;
  yAxes: number;
  xTitles: number;
  yTitles: number;
}

export interface ImageReport {
  index: number;
  src: string;
  naturalWidth: number;
}

export interface PageReport {
  notebook: string;
  html: string;
  plots: PlotReport[];
  images: ImageReport[];
  /** Uncaught script errors on the page (network failures of CDN scripts are not errors here). */
  errors: string[];
  screenshots: string[];
}

/** `jupyter nbconvert --to html` one executed notebook into outDir; returns the HTML path. */
export function exportHtml(ipynb: string, outDir: string, env: NodeJS.ProcessEnv = process.env): string {
  fs.mkdirSync(outDir, { recursive: true });
  const r = spawnSync('jupyter', ['nbconvert', '--to', 'html', '--output-dir', outDir, ipynb], { encoding: 'utf8', env });
  const html = path.join(outDir, path.basename(ipynb).replace(/\.ipynb$/, '.html'));
  if (r.status !== 0 || !fs.existsSync(html)) {
    throw new Error(`jupyter nbconvert --to html ${ipynb} failed (exit ${r.status}):\n${(r.stderr ?? '').slice(-3000)}`);
  }
  return html;
}

// Runs in the page: wait until every plot container is drawn or the time is up.
const WAIT_PLOTS = `(() => {
  const boxes = Array.from(document.querySelectorAll('.drin-plot, .plotly-graph-div, .js-plotly-plot'));
  return boxes.every((b) => b.querySelector('.main-svg') || (b.textContent || '').includes('not loaded'));
})()`;

// Runs in the page: inspect plots and images.
const INSPECT = `(() => {
  const seen = new Set();
  const boxes = Array.from(document.querySelectorAll('.drin-plot, .plotly-graph-div, .js-plotly-plot')).filter((b) => {
    if (seen.has(b)) return false;
    seen.add(b);
    return !b.parentElement || !b.parentElement.closest('.drin-plot, .plotly-graph-div, .js-plotly-plot');
  });
  const plots = boxes.map((b, index) => {
    const svg = b.querySelector('.main-svg');
    const traces = b.querySelectorAll('g.trace, g.slice, g.hm, .imagelayer image');
    let marks = 0;
    for (const t of traces) {
      for (const p of t.querySelectorAll('path')) {
        const d = p.getAttribute('d') || '';
        if (d.length > 8 && d !== 'M0,0Z') marks++;
      }
      marks += t.querySelectorAll('image, rect.point, text.textpoint').length;
      if (t.tagName === 'image') marks++;
    }
    const title = b.getAttribute('data-title') || ((b.querySelector('.gtitle') || {}).textContent || '');
    const drawnTitle = ((b.querySelector('.gtitle') || {}).textContent || '').trim();
    const titled = (re) => Array.from(b.querySelectorAll('text'))
      .filter((t) => re.test(t.getAttribute('class') || '') && (t.textContent || '').trim()).length;
    return { index, title, rendered: !!svg && b.classList.contains('js-plotly-plot'), traces: traces.length, marks,
             text: svg ? '' : (b.textContent || '').slice(0, 200), drawnTitle,
             xAxes: b.querySelectorAll('.xaxislayer-above').length, yAxes: b.querySelectorAll('.yaxislayer-above').length,
             xTitles: titled(/^x\\d*title$/), yTitles: titled(/^y\\d*title$/) };
  });
  const images = Array.from(document.images).map((img, index) => ({
    index, src: (img.getAttribute('src') || '').slice(0, 80), naturalWidth: img.naturalWidth }));
  return { plots, images };
})()`;

/**
 * Open each HTML page in one headless Chromium session, check plots and images, and save a
 * full-page screenshot plus one screenshot per plot into shotDir.
 */
export async function checkPages(pages: Array<{ notebook: string; html: string }>, shotDir: string): Promise<PageReport[]> {
  fs.mkdirSync(shotDir, { recursive: true });
  return withChromium(async (ctx) => {
    const reports: PageReport[] = [];
    for (const { notebook, html } of pages) {
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${html}`, { waitUntil: 'load', timeout: 60000 });
      await page.waitForFunction(WAIT_PLOTS, undefined, { timeout: 30000, polling: 250 }).catch(() => undefined);
      await page.waitForTimeout(300); // let plotly finish its last transitions
      const found = (await page.evaluate(INSPECT)) as { plots: PlotReport[]; images: ImageReport[] };
      const stem = path.basename(html, '.html');
      const screenshots: string[] = [];
      const full = path.join(shotDir, `${stem}.png`);
      await page.screenshot({ path: full, fullPage: true });
      screenshots.push(full);
      const boxes = await page.$$('.drin-plot');
      for (let i = 0; i < boxes.length; i++) {
        const shot = path.join(shotDir, `${stem}-plot${String(i + 1).padStart(2, '0')}.png`);
        await boxes[i].scrollIntoViewIfNeeded();
        await boxes[i].screenshot({ path: shot });
        screenshots.push(shot);
      }
      await page.close();
      reports.push({ notebook, html, plots: found.plots, images: found.images, errors, screenshots });
    }
    return reports;
  }, { chromiumPath: process.env.CHROMIUM_PATH });
}

/** Plots whose drawn title or axis titles are missing, one line each (empty = every chart is labelled). */
export function plotLabelProblems(r: PageReport): string[] {
  const out: string[] = [];
  for (const p of r.plots) {
    if (!p.rendered) continue;
    const name = `plot ${p.index + 1}${p.title ? ` "${p.title}"` : ''}`;
    if (!p.drawnTitle) out.push(`${name}: no title drawn (plotly.js 3 needs layout.title = { text })`);
    if (p.xTitles < p.xAxes) out.push(`${name}: ${p.xAxes - p.xTitles} of ${p.xAxes} x axes without a title`);
    if (p.yTitles < p.yAxes) out.push(`${name}: ${p.yAxes - p.yTitles} of ${p.yAxes} y axes without a title`);
  }
  return out;
}

/** Problems found on a page, one line each (empty = all good). */
export function pageProblems(r: PageReport): string[] {
  const out: string[] = [];
  for (const p of r.plots) {
    const name = `plot ${p.index + 1}${p.title ? ` "${p.title}"` : ''}`;
    if (!p.rendered) out.push(`${name}: not rendered${p.text ? ` (${p.text})` : ''}`);
    else if (p.traces === 0 || p.marks === 0) out.push(`${name}: rendered but drew no data (${p.traces} traces, ${p.marks} marks)`);
  }
  for (const i of r.images) if (i.naturalWidth <= 0) out.push(`image ${i.index + 1} (${i.src}…) did not load`);
  for (const e of r.errors) out.push(`script error: ${e}`);
  return out;
}

/**
 * How many plots an executed notebook displayed: the plot containers (`class="drin-plot"`, from
 * src/viz/plotly.ts, or plotly's own `plotly-graph-div`) in its cells' HTML outputs. The rendered page
 * must show this many ({@link plotCountProblems}).
 */
export function plotOutputCount(executedIpynb: string): number {
  const nb = JSON.parse(fs.readFileSync(executedIpynb, 'utf8')) as { cells?: Array<{ outputs?: Array<{ data?: Record<string, string | string[]> }> }> };
  if (!Array.isArray(nb.cells)) throw new Error(`${executedIpynb}: not a notebook (no cells array)`);
  let n = 0;
  for (const c of nb.cells) {
    for (const o of c.outputs ?? []) {
      const h = o.data?.['text/html'];
      const html = Array.isArray(h) ? h.join('') : (h ?? '');
      n += (html.match(/<div [^>]*class="(?:drin-plot|plotly-graph-div)[" ]/g) ?? []).length;
    }
  }
  return n;
}

/**
 * A page against the plots its notebook displayed: the page must hold `expected` plot containers,
 * each drawn with a title and a title on every axis (empty = all good).
 */
export function plotCountProblems(r: PageReport, expected: number): string[] {
  const out: string[] = [];
  if (r.plots.length !== expected) out.push(`the notebook displayed ${expected} plot(s), the rendered page holds ${r.plots.length}`);
  for (const p of r.plots) if (!p.rendered) out.push(`plot ${p.index + 1}${p.title ? ` "${p.title}"` : ''}: not drawn, so its title and axis titles cannot be checked`);
  return [...out, ...plotLabelProblems(r)];
}
