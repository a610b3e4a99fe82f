import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import sharp from 'sharp';
import { buildDrilldownData, loadAnalysisTextSide, loadPredictionsJsonl, mentionSpan } from '../../src/analysis';
import { drilldownHtml, drinGraphSvg, imageThumbnailDataUri } from '../../src/viz';
import { writeSyntheticAnalysisData } from '../fixtures/analysis/synthetic';

test('drinGraphSvg draws 4 vertices and the 4 edges tt, ti, it, ii', () => {
  const svg = drinGraphSvg();
  assert.match(svg, /^<svg [^>]*viewBox="0 0 560 308"/);
  assert.equal((svg.match(/<ellipse/g) ?? []).length, 4);
  assert.equal((svg.match(/<line /g) ?? []).length, 4);
  for (const v of ['mention text', 'mention image', 'entity text', 'entity image']) assert.ok(svg.includes(`>${v}<`), v);
  for (const e of ['tt', 'ti', 'it', 'ii']) assert.ok(svg.includes(`>${e}<`), e);
  const withVals = drinGraphSvg({ edges: [0.5, 0.25, 0.125, -1], disabled: ['ii'], width: 280 });
  assert.ok(withVals.includes('tt 0.500'));
  assert.ok(withVals.includes('ii -1.000 (off)'));
  assert.ok(withVals.includes('stroke-dasharray'));
  assert.throws(() => drinGraphSvg({ edges: [1, 2] }), /expected 4 edge values/);
});

test('imageThumbnailDataUri makes a square PNG, placeholders for default and missing images', async () => {
  const d = await writeSyntheticAnalysisData();
  const t = await imageThumbnailDataUri(d.image, 64);
  assert.equal(t.kind, 'image');
  const meta = await sharp(Buffer.from(t.uri.replace(/^data:image\/png;base64,/, ''), 'base64')).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 64, 64]);
  const def = await imageThumbnailDataUri(null, 32);
  assert.equal(def.kind, 'default');
  assert.ok(def.uri.startsWith('data:image/png;base64,'));
  const missing = await imageThumbnailDataUri(path.join(d.root, 'nope.jpg'), 32);
  assert.equal(missing.kind, 'unreadable');
  assert.match(missing.reason ?? '', /nope\.jpg: file not found/);
});

test('drill-down: gold marked, mention highlighted, thumbnails inlined, edges across layers', async () => {
  const d = await writeSyntheticAnalysisData();
  const text = loadAnalysisTextSide({ dataset: 'tiny', preparedDir: d.prepared });
  const preds = loadPredictionsJsonl(path.join(d.runs, 'tiny', 'drin', 'predictions_test.jsonl'));
  const dd = buildDrilldownData('drin', preds[1], text, 2); // gold Q1 ranks 3rd → appended after the top-2
  assert.deepEqual(dd.candidates.map((c) => [c.rank, c.qid, c.gold]), [[1, 'Q5', false], [2, 'Q2', false], [3, 'Q1', true]]);
  assert.deepEqual(dd.span, [13, 18]);
  const { html, unreadableImages } = await drilldownHtml(dd, { thumb: 48 });
  assert.deepEqual(unreadableImages, []);
  assert.ok(html.includes('<mark style="background:#ffe08a;padding:0 2px">Paris</mark>'));
  assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 4); // mention + 3 candidates
  assert.equal((html.match(/GOLD/g) ?? []).length, 1);
  assert.equal((html.match(/<tr><td>/g) ?? []).length, 3); // 3 layer inputs
  assert.equal((html.match(/<svg /g) ?? []).length, 2);
  assert.deepEqual(mentionSpan('a Rome b', 'rome', 99), [2, 6]);
  assert.deepEqual(mentionSpan('a b', 'x', 0), [-1, -1]);
});

test('showDrinGraph sends the SVG to the sink', async () => {
  const { showDrinGraph } = await import('../../src/viz');
  const got: string[] = [];
  showDrinGraph({ highlight: ['tt'] }, { html: (s) => got.push(s) });
  assert.equal(got.length, 1);
  assert.match(got[0], /^<svg /);
  assert.ok(got[0].includes('#d62728'), 'the highlighted edge is drawn in the accent colour');
});

test('figure specs carry the numbers; saveAnalysisHtml writes a standalone page', async () => {
  const { ablationFigure, successOverlapFigure, edgesByLayerFigure, saveAnalysisHtml } = await import('../../src/analysis');
  const fig = ablationFigure([{ variant: 'without tt', top1: 0.1, drop: 0.2, mrr: 0.3, mrrDrop: 0.15 }]);
  assert.deepEqual(fig.data.map((d) => d.y), [[0.2], [0.15]]);
  const o = successOverlapFigure('drin', 'ghmfc', { both: 1, onlyA: 2, onlyB: 3, neither: 4, rows: { both: [], onlyA: [], onlyB: [], neither: [] } });
  assert.deepEqual(o.data[0].z, [[1, 2], [3, 4]]);
  const e = edgesByLayerFigure('t', [{ label: 'right', means: [[1, 2, 3, 4], [5, 6, 7, 8]] }]);
  assert.equal(e.data.length, 4);
  assert.deepEqual(e.data[3].y, [4, 8]);
  const os = await import('node:os');
  const fs = await import('node:fs');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-fig-'));
  const f = saveAnalysisHtml('06-x', '<svg></svg>', { dir, title: 'a <b>' });
  assert.equal(f, path.join(dir, '06-x.html'));
  assert.match(fs.readFileSync(f, 'utf8'), /<title>a &lt;b><\/title>.*<svg><\/svg>/s);
  assert.throws(() => saveAnalysisHtml('../evil', '', { dir }), /must be letters/);
});
