/**
 * Plotly figures in notebooks, offline.
 *
 * `showPlot(fig)` puts a `<div>` and a small drawing script into the cell output. The first call in a
 * kernel also inlines plotly.js itself (from the `plotly.js-dist` package, minified once with esbuild
 * and cached under node_modules/.cache/drin), so the notebook needs no network: not in Jupyter
 * Notebook, not in JupyterLab, not in the static HTML that `jupyter nbconvert --to html` writes.
 * The library is wrapped so that an AMD loader on the page (require.js in classic Notebook and in
 * nbconvert's templates) does not swallow it: it always lands on `window.Plotly`.
 *
 * `savePlot(fig, name)` writes a standalone HTML file (library inlined) to results/figures/, and a PNG
 * rendered by headless Chromium when asked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIGURES, ROOT } from '../paths';
import { displayHtml, escapeHtml, HtmlSink } from './display';
import { findChromium, withChromium } from './browser';

/** A plotly figure: traces, layout and config, as plotly.js takes them. */
export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

/** Options of {@link showPlot} and {@link plotlyFigureHtml}. */
export interface ShowPlotOptions {
  /** Height in px when the layout gives none (default 380). */
  height?: number;
  /** Force (true) or suppress (false) inlining plotly.js in this output; default: first plot of the kernel. */
  includeLibrary?: boolean;
  /** Where the HTML goes (tests); default tslab's display, or stdout outside a notebook. */
  sink?: HtmlSink;
}

let libraryShown = false;
let plotCounter = 0;
let cachedSource: string | undefined;

function plotlyVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a JSON file outside src/ (no resolveJsonModule)
  return (require('plotly.js-dist/package.json') as { version: string }).version;
}

/**
 * The plotly.js source to inline, minified (about 4.9 MB instead of 11 MB). Minified once with esbuild
 * (present through tsx) and cached in node_modules/.cache/drin/; falls back to the unminified file.
 */
export function plotlySource(): string {
  if (cachedSource) return cachedSource;
  const version = plotlyVersion();
  const cacheDir = path.join(ROOT, 'node_modules', '.cache', 'drin');
  const cacheFile = path.join(cacheDir, `plotly-${version}.min.js`);
  if (fs.existsSync(cacheFile)) return (cachedSource = fs.readFileSync(cacheFile, 'utf8'));
  const srcFile = require.resolve('plotly.js-dist/plotly.js');
  const full = fs.readFileSync(srcFile, 'utf8');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: esbuild minifies when present
    const esbuild = require('esbuild') as { transformSync(code: string, o: object): { code: string } };
    const min = esbuild.transformSync(full, { minify: true, legalComments: 'none' }).code;
    const header = `/* plotly.js v${version} (c) Plotly, Inc., MIT license; minified by esbuild */\n`;
    cachedSource = header + min;
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(cacheFile, cachedSource);
    } catch {
      /* read-only node_modules: keep it in memory */
    }
  } catch {
    cachedSource = full;
  }
  return cachedSource;
}

/** `<script>` that defines `window.Plotly` whatever module loader the page has. */
export function plotlyLibraryHtml(): string {
  const src = plotlySource().replace(/<\/script/gi, '<\\/script');
  return (
    `<script type="text/javascript">/* drin: plotly.js inlined for offline use */\n` +
    `if (!window.Plotly) { (function (define, module, exports, require) {\n${src}\n}).call(window); }\n</script>`
  );
}

/** Serialise figure parts for a script: JSON, with `</` broken so it cannot close the script tag. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v ?? {})
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * HTML for one figure: a div and a script that draws it once `window.Plotly` exists (waiting up to
 * 20 s for a library output above it; otherwise the div says why it is empty).
 */
export function plotlyFigureHtml(fig: PlotlyFigure, opts: ShowPlotOptions = {}): string {
  if (!fig || !Array.isArray(fig.data)) {
    throw new Error(`showPlot: expected a figure {data: [...traces], layout?, config?}, got ${typeof fig === 'object' ? JSON.stringify(fig).slice(0, 80) : String(fig)}`);
  }
  const id = `drin-plot-${Date.now().toString(36)}-${(plotCounter++).toString(36)}`;
  const layout = { height: opts.height ?? 380, margin: { t: 48, r: 24, b: 48, l: 56 }, ...(fig.layout ?? {}) };
  const config = { responsive: true, displaylogo: false, ...(fig.config ?? {}) };
  const height = Number(layout.height) || 380;
  const lib = opts.includeLibrary ?? !libraryShown;
  if (lib) libraryShown = true;
  const title = typeof fig.layout?.title === 'string' ? fig.layout.title : (fig.layout?.title as { text?: string } | undefined)?.text;
  return (
    (lib ? plotlyLibraryHtml() : '') +
    `<div id="${id}" class="drin-plot" style="width:100%;min-height:${height}px" ` +
    `data-title="${escapeHtml(title ?? '')}"></div>\n` +
    `<script type="text/javascript">(function () {\n` +
    `  var id = ${JSON.stringify(id)}, data = ${scriptJson(fig.data)}, layout = ${scriptJson(layout)}, config = ${scriptJson(config)};\n` +
    `  var tries = 0;\n` +
    `  function draw() {\n` +
    `    var el = document.getElementById(id);\n` +
    `    if (!el) return;\n` +
    `    if (window.Plotly) { window.Plotly.newPlot(el, data, layout, config); return; }\n` +
    `    if (++tries < 200) { setTimeout(draw, 100); return; }\n` +
    `    el.textContent = 'plotly.js is not loaded on this page: re-run the first plotting cell of the notebook (it inlines the library).';\n` +
    `  }\n` +
    `  draw();\n` +
    `})();</script>`
  );
}

/**
 * Show a plotly figure in the notebook (offline; plotly.js is inlined in the first plot of the kernel).
 *
 * ```ts
 * drin.showPlot({ data: [{ x: [1, 2, 3], y: [2, 1, 3], type: 'scatter' }], layout: { title: { text: 'loss' } } });
 * ```
 */
export function showPlot(fig: PlotlyFigure, opts: ShowPlotOptions = {}): void {
  const html = plotlyFigureHtml(fig, opts);
  const n = fig.data.length;
  displayHtml(html, `[plot: ${n} trace${n === 1 ? '' : 's'}; open in a notebook or use savePlot() to see it]`, opts.sink);
}

/** Make the next {@link showPlot} inline plotly.js again (e.g. after clearing all outputs). */
export function resetPlotlyInline(): void {
  libraryShown = false;
}

/** Options of {@link savePlot}. */
export interface SavePlotOptions {
  /**
   * Also render a PNG with headless Chromium (default false; takes ~1-2 s). Optional by design: without
   * Chromium the HTML is still written, one line says the PNG was skipped and how to get it, and the
   * result has `pngSkipped` instead of `png`. `'required'` throws instead.
   */
  png?: boolean | 'required';
  /** PNG size in px (default 900 × layout height or 450). */
  width?: number;
  height?: number;
  /** Directory for bare names (default results/figures). */
  dir?: string;
  /** Chromium binary for the PNG (default: the usual locations; `CHROMIUM_PATH` in the notebooks). */
  chromiumPath?: string;
}

/**
 * Write a figure as a standalone HTML file (plotly.js inlined, opens offline) and, with `{png: true}`,
 * a PNG (skipped with one printed line when there is no Chromium). `file` is a bare name (`'hits-at-k'` → results/figures/hits-at-k.html) or a path.
 * Returns the paths written.
 */
export interface SavedPlot {
  /** The standalone HTML file. */
  html: string;
  /** The PNG, when asked for and Chromium was found. */
  png?: string;
  /** Why the PNG asked for was not written (no Chromium). */
  pngSkipped?: string;
}

export async function savePlot(fig: PlotlyFigure, file: string, opts: SavePlotOptions = {}): Promise<SavedPlot> {
  const base = path.isAbsolute(file) || file.includes('/') ? path.resolve(file) : path.join(opts.dir ?? FIGURES, file);
  const stem = base.replace(/\.(html|png)$/i, '');
  fs.mkdirSync(path.dirname(stem), { recursive: true });
  const title = escapeHtml(path.basename(stem));
  const body = plotlyFigureHtml(fig, { includeLibrary: true });
  const html = `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body style="margin:0;font-family:sans-serif">\n${body}\n</body></html>\n`;
  const htmlFile = `${stem}.html`;
  fs.writeFileSync(htmlFile, html);
  if (!opts.png) return { html: htmlFile };
  const pngFile = `${stem}.png`;
  if (opts.png !== 'required' && !findChromium(opts.chromiumPath)) {
    const pngSkipped =
      `PNG skipped: no Chromium on this machine (${path.relative(process.cwd(), htmlFile)} written); ` +
      'for PNGs install it (Debian: apt-get install chromium) or pass its path';
    console.log(pngSkipped);
    return { html: htmlFile, pngSkipped };
  }
  const width = opts.width ?? 900;
  const height = opts.height ?? (Number(fig.layout?.height) || 450);
  await withChromium(
    async (ctx) => {
      const page = await ctx.newPage();
      await page.goto(`file://${htmlFile}`);
      await page.waitForSelector('.drin-plot .main-svg', { timeout: 20000 });
      const dataUrl = (await page.evaluate(
        `window.Plotly.toImage(document.querySelector('.drin-plot'), {format: 'png', width: ${width}, height: ${height}})`,
      )) as string;
      fs.writeFileSync(pngFile, Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
    },
    { viewport: { width, height }, chromiumPath: opts.chromiumPath },
  );
  return { html: htmlFile, png: pngFile };
}
