import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { scoreDrinWithEdgeMask, edgeAblation } from '../../src/analysis';
import { createDrin, drinConfigFromManifest } from '../../src/models';
import { loadNpyTensor, loadWeights } from '../../src/train';
import { lacks } from '../helpers/needs';

const FIX = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'drin', 'wikidiverse-small');

test('scoreDrinWithEdgeMask reproduces the reference scores with all edges and changes them per disabled edge', async (t) => {
  if (lacks(t, fs.existsSync(FIX), '../shared absent: fixtures/drin/wikidiverse-small not found')) return;
  await tf.setBackend('cpu');
  const manifest = JSON.parse(fs.readFileSync(path.join(FIX, 'manifest.json'), 'utf8'));
  const model = createDrin(drinConfigFromManifest(manifest), 0);
  loadWeights(model.params, path.join(FIX, 'params'));
  const batch: Record<string, tf.Tensor | number[]> = {};
  for (const k of [...manifest.batch_order, 'answer_index', 'answer_onehot']) batch[k] = loadNpyTensor(path.join(FIX, 'inputs', `${k}.npy`));
  const B = (batch.answer_onehot as tf.Tensor).shape[0];
  batch.index = Array.from({ length: B }, (_, i) => 100 + i);
  const before = tf.memory().numTensors;
  const full = await scoreDrinWithEdgeMask(model.params, model.config, [batch], [1, 1, 1, 1]);
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  const ref = loadNpyTensor(path.join(FIX, 'scores.npy')).arraySync() as number[][];
  assert.equal(full.scores.length, B);
  assert.equal(full.scores[0].length, manifest.num_candidates_data);
  full.scores.forEach((row, i) => row.forEach((s, j) => assert.ok(Math.abs(s - ref[i][j]) < 1e-4, `score [${i},${j}] ${s} vs ${ref[i][j]}`)));
  const onehot = (batch.answer_onehot as tf.Tensor).arraySync() as number[][];
  assert.deepEqual(full.answers, onehot.map((r) => (r.some((x) => x > 0) ? r.indexOf(Math.max(...r)) : r.length)));
  assert.deepEqual(full.rows, [100, 101, 102, 103, 104]);
  const table = await edgeAblation((mask) => scoreDrinWithEdgeMask(model.params, model.config, [batch], mask));
  assert.equal(table.length, 5);
  // top-1 and MRR by hand: rank = 1 + candidates scored strictly above the gold; absent gold (answer = C) is a miss
  const byHand = (r: { scores: number[][]; answers: number[] }) => {
    const ranks = r.scores.map((row, i) => (r.answers[i]! < row.length ? 1 + row.filter((x) => x > row[r.answers[i]!]!).length : Infinity));
    return { top1: ranks.filter((k) => k === 1).length / ranks.length, mrr: ranks.reduce((acc, k) => acc + 1 / k, 0) / ranks.length };
  };
  const all = byHand(full);
  assert.deepEqual([table[0]!.variant, table[0]!.top1, table[0]!.drop], ['all edges', all.top1, 0]);
  assert.ok(Math.abs(table[0]!.mrr - all.mrr) < 1e-12, `all edges: MRR ${table[0]!.mrr} vs ${all.mrr} by hand`);
  for (const [i, mask] of [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]].entries()) {
    const off = await scoreDrinWithEdgeMask(model.params, model.config, [batch], mask as [number, number, number, number]);
    const diff = Math.max(...off.scores.flatMap((r, a) => r.map((s, b) => Math.abs(s - full.scores[a][b]))));
    assert.ok(diff > 1e-6, `disabling edge ${i} changes the scores (max diff ${diff})`);
    const row = table[i + 1]!, want = byHand(off);
    assert.deepEqual([row.variant, row.edgeEnabled, row.top1], [`without ${['tt', 'ti', 'it', 'ii'][i]}`, mask, want.top1]);
    assert.ok(Math.abs(row.mrr - want.mrr) < 1e-12 && Math.abs(row.mrrDrop - (all.mrr - want.mrr)) < 1e-12, `${row.variant}: MRR ${row.mrr} vs ${want.mrr} by hand`);
  }
  assert.ok(new Set(table.map((r) => r.mrr.toFixed(9))).size > 1, 'the variants differ in MRR');
});

test('loadDrinRun finds the weights below a run directory and infers the sizes', async (t) => {
  if (lacks(t, fs.existsSync(FIX), '../shared absent: fixtures/drin/wikidiverse-small not found')) return;
  const { loadDrinRun } = await import('../../src/analysis');
  const os = await import('node:os');
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-run-'));
  assert.throws(() => loadDrinRun(run), /no DRIN weights found/);
  fs.mkdirSync(path.join(run, 'weights'));
  for (const f of fs.readdirSync(path.join(FIX, 'params'))) fs.copyFileSync(path.join(FIX, 'params', f), path.join(run, 'weights', f));
  fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ model: { edgeType: 'static' } }));
  const r = loadDrinRun(run);
  assert.equal(r.weights, path.join(run, 'weights'));
  assert.deepEqual([r.config.bertDim, r.config.resnetDim, r.config.gcnDim, r.config.numLayers, r.config.edgeType], [32, 48, 32, 2, 'static']);
  assert.match(r.configSource, /edgeType/);
});

test('loadDrinRun reads a training checkpoint.npz and ignores its Adam moments', async (t) => {
  if (lacks(t, fs.existsSync(FIX), '../shared absent: fixtures/drin/wikidiverse-small not found')) return;
  const { loadDrinRun } = await import('../../src/analysis');
  const { readStateDict, writeStateDict } = await import('../../src/train');
  const os = await import('node:os');
  const run = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-ckpt-'));
  const state = readStateDict(path.join(FIX, 'params'));
  const withAdam = new Map(state);
  for (const [k, v] of state) withAdam.set(`adam.m.${k}`, v);
  writeStateDict(withAdam, path.join(run, 'checkpoint.npz'), new Map([['meta.json', new Uint8Array(Buffer.from('{"epoch":1}'))]]));
  const r = loadDrinRun(run);
  assert.equal(r.weights, path.join(run, 'checkpoint.npz'));
  const key = 'gcn_layers.1.w_h.weight';
  const a = r.params.get(key)!.dataSync();
  const b = state.get(key)!.dataSync();
  assert.equal(a.length, b.length);
  assert.ok(a.every((x, i) => x === b[i]));
});

test('maxScoreDiff compares a re-scoring with saved predictions by row', async () => {
  const { maxScoreDiff } = await import('../../src/analysis');
  const ref = [{ row: 7, answer: 0, goldRank: 1, top: [], scores: [0.5, 0.25] }, { row: 3, answer: 1, goldRank: 2, top: [], scores: [0.5, 0.125] }];
  assert.equal(maxScoreDiff({ rows: [3, 7], scores: [[0.5, 0.5], [0.5, 0.25]] }, ref), 0.375);
  assert.throws(() => maxScoreDiff({ rows: [9], scores: [[0, 0]] }, ref), /row 9 was re-scored but is not in the saved predictions/);
});

test('drinEdgesOfSlots: the gold slot\'s edges equal the model\'s extras, and two slots differ', async (t) => {
  if (!fs.existsSync(FIX)) return t.skip('../shared absent: fixtures/drin/wikidiverse-small not found');
  const { drinEdgesOfSlots } = await import('../../src/analysis');
  await tf.setBackend('cpu');
  const manifest = JSON.parse(fs.readFileSync(path.join(FIX, 'manifest.json'), 'utf8'));
  const model = createDrin(drinConfigFromManifest(manifest), 0, { engine: 'tfjs' });
  loadWeights(model.params, path.join(FIX, 'params'));
  const batch: Record<string, tf.Tensor> = {};
  for (const k of [...manifest.batch_order, 'answer_index', 'answer_onehot']) batch[k] = loadNpyTensor(path.join(FIX, 'inputs', `${k}.npy`));
  const R = batch.miet_similarity.shape[1]!;
  const [gold, first] = drinEdgesOfSlots(model.params, model.config, batch, 1, [R - 1, 0]);
  const extras = (model.extras!(batch).edges!.arraySync() as number[][][])[1]; // [layers][4], gold slot
  assert.equal(gold.length, model.config.numLayers);
  gold.forEach((l, i) => l.forEach((v, k) => assert.ok(Math.abs(v - extras[i][k]) < 1e-6, `layer ${i} edge ${k}: ${v} vs ${extras[i][k]}`)));
  assert.ok(first.flat().some((v, i) => Math.abs(v - gold.flat()[i]) > 1e-6), 'slot 0 has its own edges');
  assert.throws(() => drinEdgesOfSlots(model.params, model.config, batch, 0, [R]), /outside/);
});
