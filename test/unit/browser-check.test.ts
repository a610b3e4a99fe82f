/** test/helpers/browser-check.ts: the plot count of an executed notebook against its rendered page. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { plotCountProblems, plotOutputCount, type PageReport, type PlotReport } from '../helpers/browser-check';
import { plotlyFigureHtml } from '../../src/viz/plotly';

const plot = (index: number, o: Partial<PlotReport> = {}): PlotReport => ({
  index, title: `t${index}`, rendered: true, traces: 1, marks: 3, text: '', drawnTitle: `t${index}`, xAxes: 1, yAxes: 1, xTitles: 1, yTitles: 1, ...o,
});
const page = (plots: PlotReport[]): PageReport => ({ notebook: 'nb', html: 'nb.html', plots, images: [], errors: [], screenshots: [] });

test('plotOutputCount counts the plot containers of the executed notebook\'s HTML outputs, not its source', () => {
  const fig = { data: [{ x: [1, 2], y: [3, 4], type: 'scatter' }], layout: { title: { text: 'a' } } };
  const html = plotlyFigureHtml(fig, { includeLibrary: false });
  const nb = {
    cells: [
      { cell_type: 'code', source: ['drin.showPlot(fig) // class="drin-plot"'], outputs: [{ output_type: 'display_data', data: { 'text/html': html.split('\n').map((l) => `${l}\n`), 'text/plain': '[plot]' } }] },
      { cell_type: 'markdown', source: ['<div class="drin-plot"></div> in prose is no output'] },
      { cell_type: 'code', source: [''], outputs: [{ output_type: 'display_data', data: { 'text/html': html + html } }, { output_type: 'stream', text: '<div class="drin-plot">' }] },
      { cell_type: 'code', source: [''], outputs: [{ output_type: 'display_data', data: { 'text/html': '<div class="drin-plotter">x</div><div id="p" class="plotly-graph-div js-plotly-plot"></div>' } }] },
    ],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-bc-'));
  const f = path.join(dir, '09-x.ipynb');
  fs.writeFileSync(f, JSON.stringify(nb));
  assert.equal(plotOutputCount(f), 4);
  fs.writeFileSync(f, '{"nbformat": 4}');
  assert.throws(() => plotOutputCount(f), /09-x\.ipynb: not a notebook \(no cells array\)/);
});

test('plotCountProblems: a page with fewer plots than displayed, an undrawn plot, a missing title or axis title', () => {
  assert.deepEqual(plotCountProblems(page([plot(0), plot(1)]), 2), []);
  assert.deepEqual(plotCountProblems(page([plot(0, { xAxes: 0, yAxes: 0, xTitles: 0, yTitles: 0 })]), 1), [], 'a chart without axes (pie) needs no axis title');
  assert.deepEqual(plotCountProblems(page([]), 3), ['the notebook displayed 3 plot(s), the rendered page holds 0']);
  assert.deepEqual(plotCountProblems(page([plot(0, { rendered: false, drawnTitle: '' })]), 1), ['plot 1 "t0": not drawn, so its title and axis titles cannot be checked']);
  assert.deepEqual(plotCountProblems(page([plot(0, { drawnTitle: '' }), plot(1, { yTitles: 0 })]), 2), [
    'plot 1 "t0": no title drawn (plotly.js 3 needs layout.title = { text })',
    'plot 2 "t1": 1 of 1 y axes without a title',
  ]);
});

test("kernelBackendProblems: the kernel's reported backend must be the selection's, DRIN_BACKEND set or not", async () => {
  const { kernelBackendProblems, reportedBackend } = await import('../helpers/kernel-backend');
  const executed = JSON.stringify({ cells: [{ outputs: [{ text: ['tfjs backend: wasm (@tensorflow/tfjs-backend-wasm (threaded SIMD, 2 threads))\n', '  not taken:\n'] }] }] });
  assert.deepEqual(reportedBackend(executed), { name: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm' });
  const wasm = { name: 'wasm' as const, provider: '@tensorflow/tfjs-backend-wasm (SIMD, 1 thread)', skipped: [] };
  assert.deepEqual(kernelBackendProblems(executed, wasm, undefined), []);
  const node = { name: 'tensorflow' as const, provider: '@tensorflow/tfjs-node', skipped: [] };
  assert.deepEqual(kernelBackendProblems(executed, node, undefined), [
    'the kernel runs tfjs backend wasm (@tensorflow/tfjs-backend-wasm); the selection picks tensorflow (@tensorflow/tfjs-node) here (DRIN_BACKEND=(unset))',
  ]);
  const cpu = { name: 'cpu' as const, provider: '@tensorflow/tfjs (pure JS)', skipped: ['forced by DRIN_BACKEND=cpu'] };
  assert.match(kernelBackendProblems(executed, cpu, 'cpu').join(), /selection picks cpu .*DRIN_BACKEND=cpu/);
  assert.deepEqual(kernelBackendProblems('{"cells": []}', wasm), ['the notebook printed no "tfjs backend: <name> (<package> ...)" line']);
});
