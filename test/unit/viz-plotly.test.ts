/** src/viz: plotly HTML (offline, escaped), tables, and that every common trace type draws in Chromium. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { plotlyFigureHtml, plotlyLibraryHtml, savePlot, showPlot, resetPlotlyInline, PlotlyFigure } from '../../src/viz/plotly';
import { tableHtml, showTable, formatTableCell } from '../../src/viz/table';
import { findChromium } from '../../src/viz/browser';
import { checkPages, pageProblems } from '../helpers/browser-check';
import { needs } from '../helpers/needs';

const noChromium = needs(findChromium(process.env.CHROMIUM_PATH) !== undefined, 'no Chromium (system package `chromium`; npm test installs it)');

test('the first plot inlines plotly.js once; later plots do not', () => {
  resetPlotlyInline();
  const out: string[] = [];
  const sink = { html: (s: string) => out.push(s) };
  showPlot({ data: [{ y: [1, 2] }] }, { sink });
  showPlot({ data: [{ y: [3, 4] }] }, { sink });
  assert.equal(out.length, 2);
  assert.ok(out[0].length > 3_000_000, `first output carries the library (${out[0].length} chars)`);
  assert.ok(out[0].includes('window.Plotly'));
  assert.ok(out[1].length < 5_000, `second output is only the figure (${out[1].length} chars)`);
  // no external script: works offline
  assert.ok(!/<script[^>]+src=/i.test(out[0]));
  // the library is shielded from AMD loaders (require.js in classic Notebook / nbconvert templates)
  assert.match(plotlyLibraryHtml(), /\(function \(define, module, exports, require\)/);
});

test('figure JSON cannot break out of its script tag', () => {
  const html = plotlyFigureHtml({ data: [{ y: [1], name: '</script><script>alert(1)</script>' }] }, { includeLibrary: false });
  assert.equal(html.match(/<\/script>/g)?.length, 1, 'only the closing tag of the drawing script');
  assert.ok(html.includes('\\u003c/script>'));
});

test('a non-figure is rejected with what was expected', () => {
  assert.throws(() => plotlyFigureHtml({ x: [1] } as unknown as PlotlyFigure), /expected a figure \{data: \[\.\.\.traces\]/);
});

test('tableHtml: array of objects, escaping, number formatting, truncation', () => {
  const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, name: i === 0 ? '<b>x</b>' : `r${i}`, score: i / 3 }));
  const html = tableHtml(rows, { maxRows: 5, caption: 'c' });
  assert.equal((html.match(/<tr>/g) ?? []).length, 6, 'header + 5 rows');
  assert.ok(html.includes('&lt;b&gt;x&lt;/b&gt;'));
  assert.ok(html.includes('<td>0.3333</td>'));
  assert.ok(html.includes('55 more rows (60 in all)'));
  assert.equal(formatTableCell(1234567.5), '1.235e+6');
  assert.equal(formatTableCell(null), '');
  assert.equal(formatTableCell([1, 0.5]), '1, 0.5');
});

test('tableHtml: a danfojs DataFrame, with its index when it is not 0..n-1', async () => {
  const dfd = await import('danfojs-node');
  const df = new dfd.DataFrame({ model: ['drin', 'ghmfc'], top1: [0.61, 0.4321] }, { index: ['a', 'b'] });
  const html = tableHtml(df as never);
  assert.ok(html.includes('<th>model</th><th>top1</th>'));
  assert.ok(html.includes('<th>a</th><td class="s">drin</td><td>0.61</td>'));
  assert.ok(html.includes('<td>0.4321</td>'));
  const out: string[] = [];
  showTable([{ a: 1 }], { sink: { html: (s) => out.push(s) } });
  assert.equal(out.length, 1);
  assert.throws(() => tableHtml([1, 2] as never), /row 0 is 1; expected an object/);
});

test('savePlot writes standalone HTML and PNG; every common trace type draws data in Chromium', { skip: noChromium }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-viz-'));
  const figs: PlotlyFigure[] = [
    { data: [{ x: [1, 2, 3], y: [3, 1, 2], type: 'scatter', mode: 'lines+markers' }] },
    { data: [{ x: ['a', 'b'], y: [2, 5], type: 'bar' }] },
    { data: [{ x: [1, 2, 2, 3, 3, 3], type: 'histogram' }] },
    { data: [{ z: [[1, 2], [3, 4]], type: 'heatmap' }] },
    { data: [{ y: [1, 2, 3, 4, 9], type: 'box' }] },
    { data: [{ values: [1, 2], labels: ['x', 'y'], type: 'pie' }] },
  ];
  const { html, png } = await savePlot(figs[0], path.join(dir, 'scatter'), { png: true });
  assert.ok(fs.statSync(html).size > 3_000_000);
  const pngBytes = fs.readFileSync(png!);
  assert.deepEqual([...pngBytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  // one page with all figures, like a notebook export
  resetPlotlyInline();
  const page = path.join(dir, 'all.html');
  fs.writeFileSync(page, `<!DOCTYPE html><html><body>${figs.map((f) => plotlyFigureHtml(f)).join('\n')}</body></html>`);
  const [report] = await checkPages([{ notebook: 'all', html: page }], path.join(dir, 'shots'));
  assert.equal(report.plots.length, figs.length);
  assert.deepEqual(pageProblems(report), []);
  for (const p of report.plots) assert.ok(p.marks > 0, `plot ${p.index} (${figs[p.index].data[0].type}) drew marks`);
  // an empty figure is caught
  fs.writeFileSync(page, `<!DOCTYPE html><html><body>${plotlyFigureHtml({ data: [] }, { includeLibrary: true })}</body></html>`);
  const [empty] = await checkPages([{ notebook: 'empty', html: page }], path.join(dir, 'shots'));
  assert.match(pageProblems(empty).join('\n'), /drew no data/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('without Chromium, savePlot({png: true}) writes the HTML and says in one line that the PNG was skipped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-viz-'));
  const log = console.log;
  const lines: string[] = [];
  // an explicit Chromium path is authoritative: pointing it at nothing hides any system Chromium
  const chromiumPath = path.join(dir, 'no-chromium');
  try {
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    const r = await savePlot({ data: [{ y: [1, 2] }] }, path.join(dir, 'fig'), { png: true, chromiumPath });
    assert.equal(r.png, undefined);
    assert.ok(fs.statSync(r.html).size > 3_000_000, 'the HTML (with plotly.js inlined) is written');
    assert.equal(fs.existsSync(path.join(dir, 'fig.png')), false);
    assert.match(r.pngSkipped!, /PNG skipped: no Chromium.*apt-get install chromium/);
    assert.deepEqual(lines, [r.pngSkipped]);
    await assert.rejects(savePlot({ data: [{ y: [1] }] }, path.join(dir, 'fig2'), { png: 'required', chromiumPath }), /no Chromium found/);
  } finally {
    console.log = log;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
