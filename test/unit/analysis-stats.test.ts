import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  analysisDataFrame, buildAnalysisRows, edgeAblation, errorRateBy, errorRateByEdgeStrength, filterAnalysisFrame,
  frameRecords, goldRankOfScores, hitsAtKCurve, loadAnalysisTextSide, loadPredictionsJsonl, meanEdgesByLayer,
  rankMetrics, scorePairs, sortAnalysisFrame, successOverlap, countBucket, hitsAtKFigure, errorRateFigure,
} from '../../src/analysis';
import { writeSyntheticAnalysisData } from '../fixtures/analysis/synthetic';

async function rowsOf(model: string) {
  const d = await writeSyntheticAnalysisData();
  const text = loadAnalysisTextSide({ dataset: 'tiny', preparedDir: d.prepared });
  return buildAnalysisRows(loadPredictionsJsonl(path.join(d.runs, 'tiny', model, 'predictions_test.jsonl')), text);
}

test('buildAnalysisRows derives correctness, scores, ambiguity, image and length', async () => {
  const { rows, report } = await rowsOf('drin');
  assert.equal(report.unknownEntities, 0);
  assert.deepEqual(rows.map((r) => r.correct), [true, false, true, false, true, false]);
  assert.deepEqual(rows.map((r) => r.sameNameCandidates), [1, 1, 0, 0, 0, 0]);
  assert.deepEqual(rows.map((r) => r.defaultImage), [false, true, false, true, true, true]);
  assert.deepEqual(rows.map((r) => r.mentionWords), [1, 1, 1, 4, 1, 1]);
  assert.equal(rows[1].predQid, 'Q5');
  assert.equal(rows[1].goldScore, 0.5);
  assert.equal(rows[1].bestWrongScore, 0.9);
  assert.ok(Math.abs(rows[0].margin - 0.1) < 1e-12);
  assert.ok(Number.isNaN(rows[5].goldScore));
  assert.equal(rows[5].bestWrongScore, 0.4);
});

test('buildAnalysisRows rejects predictions that do not fit the mentions', async () => {
  const d = await writeSyntheticAnalysisData();
  const text = loadAnalysisTextSide({ dataset: 'tiny', preparedDir: d.prepared });
  assert.throws(() => buildAnalysisRows([{ row: 9, answer: 0, goldRank: 1, top: [], scores: [1, 0, 0, 0] }], text, 'p.jsonl'), /p.jsonl: record 1 has row 9, but the split has only 6/);
  assert.throws(() => buildAnalysisRows([{ row: 0, answer: 0, goldRank: 1, top: [], scores: [1, 0] }], text), /2 scores, expected one per candidate .* \(4\)/);
  assert.throws(() => buildAnalysisRows([{ row: 1, answer: 0, goldRank: 1, top: [], scores: [1, 0, 0, 0] }], text), /row 1\) has answer 0, but mention "s1" .* has answer 1/);
});

test('hitsAtKCurve counts absent gold as a miss', async () => {
  const { rows } = await rowsOf('drin');
  const c = hitsAtKCurve(rows, 4);
  assert.deepEqual(c.k, [1, 2, 3, 4]);
  assert.deepEqual(c.hits.map((h) => h * 6), [3, 4, 5, 5]);
  const fig = hitsAtKFigure([{ model: 'drin', ...c }]);
  assert.deepEqual(fig.data[0].y, c.hits);
});

test('errorRateBy groups in the given order and keeps empty groups', async () => {
  const { rows } = await rowsOf('drin');
  const g = errorRateBy(rows, (r) => (r.defaultImage ? 'default image' : 'own image'), ['own image', 'default image']);
  assert.deepEqual(g, [
    { group: 'own image', n: 2, errors: 0, rate: 0 },
    { group: 'default image', n: 4, errors: 3, rate: 0.75 },
  ]);
  const amb = errorRateBy(rows, (r) => countBucket(r.sameNameCandidates, 2), ['0', '1', '2+']);
  assert.deepEqual(amb.map((x) => [x.group, x.n, x.errors]), [['0', 4, 2], ['1', 2, 1], ['2+', 0, 0]]);
  assert.ok(Number.isNaN(amb[2].rate));
  const fig = errorRateFigure('t', 'x', [{ model: 'drin', groups: amb }]);
  assert.deepEqual(fig.data[0].y, [0.5, 0.5, null]);
});

test('errorRateByEdgeStrength bins the gold edge into quantiles', async () => {
  const { rows } = await rowsOf('drin');
  // tt at layer 0 is 0.1·row: rows 0,1 | 2,3 | 4,5 in three bins
  const g = errorRateByEdgeStrength(rows, 'tt', { nBins: 3 });
  assert.deepEqual(g.map((x) => [x.group, x.n, x.errors]), [['Q1', 2, 1], ['Q2', 2, 1], ['Q3', 2, 1]]);
  const { rows: base } = await rowsOf('ghmfc');
  assert.deepEqual(errorRateByEdgeStrength(base, 'tt'), []);
  const means = meanEdgesByLayer(rows);
  assert.equal(means.length, 3);
  assert.ok(Math.abs(means[0][0] - 0.25) < 1e-12);
  assert.ok(Math.abs(means[1][1] - 0.375) < 1e-12);
});

test('successOverlap splits mentions by which model is right', async () => {
  const { rows: a } = await rowsOf('drin');
  const { rows: b } = await rowsOf('ghmfc');
  const o = successOverlap(a, b);
  assert.deepEqual([o.both, o.onlyA, o.onlyB, o.neither], [1, 2, 1, 2]);
  assert.deepEqual(o.rows, { both: [2], onlyA: [0, 4], onlyB: [3], neither: [1, 5] });
  assert.throws(() => successOverlap(a, b.slice(1)), /different rows/);
  const s = scorePairs(a);
  assert.equal(s.gold.length, 5);
  // rows 0-4 (row 5 has no gold), from the synthetic scores: gold, best wrong candidate, gold − best wrong
  assert.deepEqual(s.gold, [0.9, 0.5, 0.7, 0.4, 0.8]);
  assert.deepEqual(s.bestWrong, [0.8, 0.9, 0.3, 0.5, 0.3]);
  [0.1, -0.4, 0.4, -0.1, 0.5].forEach((m, i) => assert.ok(Math.abs(s.margin[i]! - m) < 1e-12, `margin ${i}: ${s.margin[i]} vs ${m}`));
});

test('error table sorts by gold rank and filters', async () => {
  const { rows } = await rowsOf('drin');
  const errors = analysisDataFrame(rows, { errorsOnly: true, candidates: 4 });
  assert.deepEqual(errors.shape, [3, 13]);
  const sorted = frameRecords(sortAnalysisFrame(errors, 'goldRank', false));
  assert.deepEqual(sorted.map((r) => r.goldRank), [3, 2, null]); // gold absent: no rank, last
  assert.equal(analysisDataFrame(rows, { errorsOnly: true, goldPresentOnly: true }).shape[0], 2);
  assert.ok(frameRecords(errors).every((r) => typeof r.sentence === 'string' && r.sentence !== ''));
  const asc = frameRecords(sortAnalysisFrame(errors, 'goldRank', true));
  assert.deepEqual(asc.map((r) => r.row), [5, 3, 1]);
  const f = frameRecords(filterAnalysisFrame(errors, { column: 'goldRank', op: 'le', value: 4 }, { column: 'defaultImage', op: 'eq', value: true }));
  assert.deepEqual(f.map((r) => r.row), [1, 3]);
  assert.equal(filterAnalysisFrame(errors, { column: 'mention', op: 'contains', value: 'zzz' }).shape[0], 0);
  const sortedThenFiltered = filterAnalysisFrame(sortAnalysisFrame(errors, 'goldRank', false), { column: 'goldRank', op: 'le', value: 3 });
  assert.deepEqual(frameRecords(sortedThenFiltered).map((r) => r.row), [1, 3]);
  assert.deepEqual(sortedThenFiltered.index, [0, 1]); // original positions in the error table
  assert.throws(() => sortAnalysisFrame(errors, 'nope'), /no column "nope"/);
});

test('goldRankOfScores and rankMetrics', () => {
  assert.equal(goldRankOfScores([0.1, 0.5, 0.3], 2), 2);
  assert.equal(goldRankOfScores([0.3, 0.3], 1), 1);
  assert.equal(goldRankOfScores([0.1, 0.2], 2), null);
  const m = rankMetrics([1, 2, null, 10], [1, 5]);
  assert.equal(m.top1, 0.25);
  assert.equal(m.top5, 0.5);
  assert.ok(Math.abs(m.mrr - (1 + 0.5 + 0.1) / 4) < 1e-12);
});

test('edgeAblation runs one variant per edge and reports the drop', async () => {
  const seen: number[][] = [];
  const table = await edgeAblation(async (mask) => {
    seen.push([...mask]);
    // the gold wins unless tt is disabled
    const good = mask[0] === 1;
    return { scores: [[good ? 1 : 0, 0.5], [good ? 1 : 0, 0.5]], answers: [0, 0] };
  });
  assert.deepEqual(seen, [[1, 1, 1, 1], [0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]);
  assert.deepEqual(table.map((r) => [r.variant, r.top1, r.drop]), [['all edges', 1, 0], ['without tt', 0, 1], ['without ti', 1, 0], ['without it', 1, 0], ['without ii', 1, 0]]);
  await assert.rejects(edgeAblation(async () => ({ scores: [], answers: [] }), { edges: ['xx'] }), /unknown edge type "xx"/);
});

test('normalizeEntityName drops a Wikidata qualifier, case and spacing', async () => {
  const { normalizeEntityName } = await import('../../src/analysis');
  assert.equal(normalizeEntityName('Anna  Smith (painter)'), 'anna smith');
  assert.equal(normalizeEntityName('anna smith'), 'anna smith');
  assert.notEqual(normalizeEntityName('Anna Smith (painter)'), normalizeEntityName('Anna Smithe'));
});
