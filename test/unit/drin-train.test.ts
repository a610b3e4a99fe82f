// Triplet loss, metrics, Adam, the training loop (learning, resume), weights I/O.
import { before, test } from 'node:test';
import assert, { AssertionError } from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parse as npyParse } from 'npyjs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin } from '../../src/models';
import {
  Adam,
  goldRanks,
  rankingMetrics,
  wilson95,
  tripletLoss,
  trainRanking,
  lossAndGradients,
  tensorSplit,
  syntheticDrinTensors,
  saveWeights,
  loadWeights,
  readStateDict,
} from '../../src/train';
import { batchTensors, disposeBatch } from '../../src/train/model';

before(async () => {
  await tf.setBackend('wasm');
});

test('triplet loss: every anchor against every candidate of the batch, gold slot dropped', () => {
  const scores = [
    [0.9, 0.2, 0.5, 0.99],
    [0.1, 0.4, 0.3, 0.7],
  ];
  const onehot = [
    [1, 0, 0],
    [0, 0, 0], // gold absent → positive 0
  ];
  const m = 0.25;
  let loss = 0;
  const pos = [0.9, 0];
  for (let i = 0; i < 2; i++) {
    let s = 0;
    for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) s += Math.max(0, scores[b][c] - pos[i] + m);
    loss += s / 6;
  }
  loss /= 2;
  const got = tripletLoss(tf.tensor2d(scores), tf.tensor2d(onehot), m).dataSync()[0];
  assert.ok(Math.abs(got - loss) < 1e-6, `${got} vs ${loss}`);
});

test('metrics: ties count as hits, absent gold is a miss, corrected = acc / (1 - absent share)', () => {
  const scores = tf.tensor2d([
    [0.5, 0.5, 0.1, 9], // gold 0 tied with slot 1 → rank 1
    [0.1, 0.3, 0.2, 9], // gold 0 → rank 3
    [0.3, 0.2, 0.1, 9], // absent
  ]);
  const onehot = tf.tensor2d([
    [1, 0, 0],
    [1, 0, 0],
    [0, 0, 0],
  ]);
  const ranks = Array.from(goldRanks(scores, onehot).dataSync());
  assert.deepEqual(ranks, [1, 3, 0]);
  const m = rankingMetrics(ranks, [1, 3]);
  assert.equal(m.top1, 1 / 3);
  assert.equal(m.top3, 2 / 3);
  assert.ok(Math.abs(m.top1Corrected - 0.5) < 1e-12);
  assert.ok(Math.abs(m.mrr - (1 + 1 / 3) / 3) < 1e-12);
  assert.equal(m.meanRank, 2);
});

test('Adam follows PyTorch: p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + eps), no state without a gradient', () => {
  const p = tf.variable(tf.tensor1d([1, -2]));
  const q = tf.variable(tf.tensor1d([5]));
  const params = new Map([
    ['p', p],
    ['q', q],
  ]);
  const adam = new Adam({ lr: 0.1 });
  const gs = [
    [0.5, -1e-9],
    [-0.25, 3],
  ];
  let m = [0, 0];
  let v = [0, 0];
  let ref = [1, -2];
  gs.forEach((g, t) => {
    adam.step(params, new Map([['p', tf.tensor1d(g)]]));
    m = m.map((x, i) => 0.9 * x + 0.1 * g[i]);
    v = v.map((x, i) => 0.999 * x + 0.001 * g[i] * g[i]);
    const bc1 = 1 - 0.9 ** (t + 1);
    const bc2 = 1 - 0.999 ** (t + 1);
    ref = ref.map((x, i) => x - (0.1 / bc1) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + 1e-8)));
  });
  const got = p.arraySync() as number[];
  got.forEach((x, i) => assert.ok(Math.abs(x - ref[i]) < 1e-6, `${x} vs ${ref[i]}`));
  assert.deepEqual(q.arraySync(), [5]);
  assert.deepEqual(Object.keys(adam.getState().steps), ['p']);
});

for (const engine of ['ort', 'tfjs'] as const) {
  test(`training on a generated problem lifts top-1 well above chance (${engine} engine)`, async () => {
    await tf.setBackend('wasm');
    const mk = (n: number, seed: number) => tensorSplit(syntheticDrinTensors({ mentions: n, seed, candidates: 10 }), 32);
    const model = createDrin({ bertDim: 32, resnetDim: 48, gcnDim: 32 }, 0, { engine });
    assert.equal(model.engine, engine);
    const res = await trainRanking(model, { train: mk(384, 1), valid: mk(128, 2) }, { epochs: 6, testEvery: 3, progress: false, log: () => {} });
    const chance = 1 / 10;
    assert.ok(res.history[res.history.length - 1].trainLoss < res.history[0].trainLoss, 'loss falls');
    assert.ok(res.valid.top1 > 3 * chance, `valid top-1 ${res.valid.top1} vs chance ${chance}`);
  });

  test(`checkpoint + resume reproduces the uninterrupted run; run files are written (${engine} engine)`, async () => {
    await tf.setBackend('wasm');
    const dir1 = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-run-'));
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-run-'));
    const data = () => ({
      train: tensorSplit(syntheticDrinTensors({ mentions: 96, seed: 1, bertDim: 16, resnetDim: 8 }), 32),
      valid: tensorSplit(syntheticDrinTensors({ mentions: 32, seed: 2, bertDim: 16, resnetDim: 8 }), 32),
      test: tensorSplit(syntheticDrinTensors({ mentions: 32, seed: 3, bertDim: 16, resnetDim: 8 }), 32),
    });
    const cfg = { bertDim: 16, resnetDim: 8, gcnDim: 8 };
    const opts = { epochs: 4, testEvery: 2, progress: false, log: () => {} };
    const a = createDrin(cfg, 1, { engine });
    await trainRanking(a, data(), { ...opts, outDir: dir1 });
    const b = createDrin(cfg, 1, { engine });
    await trainRanking(b, data(), { ...opts, outDir: dir2, stopAfter: 3 }); // "crash" after epoch 3
    const b2 = createDrin(cfg, 99, { engine }); // a fresh process: different init, restored from the checkpoint
    const res = await trainRanking(b2, data(), { ...opts, outDir: dir2 });
    assert.equal(res.history.length, 4);
    for (const [k, p] of a.params) assert.deepEqual(b2.params.get(k)!.arraySync(), p.arraySync(), k);
    for (const [k, p] of a.params) assert.ok(Array.from(p.dataSync()).every(Number.isFinite), `${k}: finite (NaN would compare equal)`);
    for (const f of ['checkpoint.npz', 'history.json', 'metrics.json', 'predictions_valid.jsonl', 'predictions_test.jsonl'])
      assert.ok(fs.existsSync(path.join(dir2, f)), f);
    const hist = JSON.parse(fs.readFileSync(path.join(dir2, 'history.json'), 'utf8'));
    assert.deepEqual(hist.map((h: { epoch: number; test?: unknown }) => [h.epoch, !!h.test]), [[1, false], [2, true], [3, false], [4, true]]);
    for (const h of hist) assert.ok(h.validLoss > 0 && Number.isFinite(h.validLoss), `epoch ${h.epoch}: validLoss ${h.validLoss}`);
    const line = JSON.parse(fs.readFileSync(path.join(dir2, 'predictions_test.jsonl'), 'utf8').split('\n')[0]);
    assert.equal(line.scores.length, 10);
    assert.equal(line.top.length, 10);
    assert.equal(line.edges.length, 2);
    assert.equal(line.edges[0].length, 4);
  });
}

test('history: validLoss is the training triplet loss on the validation batches (eval mode, mean over batches)', async () => {
  await tf.setBackend('wasm');
  const tensors = syntheticDrinTensors({ mentions: 80, seed: 2, bertDim: 16, resnetDim: 8, candidates: 10 });
  const data = {
    train: tensorSplit(syntheticDrinTensors({ mentions: 64, seed: 1, bertDim: 16, resnetDim: 8, candidates: 10 }), 32),
    valid: tensorSplit(tensors, 32), // 3 batches: 32, 32, 16 mentions
  };
  const model = createDrin({ bertDim: 16, resnetDim: 8, gcnDim: 8 }, 3, { engine: 'tfjs' });
  const margin = 0.4;
  const res = await trainRanking(model, data, { epochs: 2, testEvery: 2, margin, progress: false, log: () => {} });
  // recomputed here from the trained weights, batch by batch, with the same loss as training
  const losses: number[] = [];
  for (const batch of data.valid.batches({})) {
    const t = batchTensors(batch);
    losses.push(tripletLoss(model.scores(t, { training: false }), t.answer_onehot, margin).dataSync()[0]);
    disposeBatch(batch);
  }
  assert.equal(losses.length, 3);
  const expected = losses.reduce((a, b) => a + b, 0) / losses.length;
  const got = res.history[1].validLoss;
  assert.ok(expected > 0.01, `a real loss (${expected}), not a degenerate 0`);
  assert.ok(Math.abs(got - expected) < 1e-5, `history validLoss ${got} vs recomputed ${expected}`);
  assert.notEqual(res.history[0].validLoss, res.history[1].validLoss, 'one value per epoch, after that epoch');
});

test('weights export / import: npy directory and npz round trip; wrong shapes are named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-w-'));
  const a = createDrin({ bertDim: 16, resnetDim: 8, gcnDim: 8 }, 1);
  saveWeights(a.params, path.join(dir, 'w.npz'));
  saveWeights(a.params, path.join(dir, 'npy'));
  for (const src of [path.join(dir, 'w.npz'), path.join(dir, 'npy')]) {
    const b = createDrin({ bertDim: 16, resnetDim: 8, gcnDim: 8 }, 2);
    loadWeights(b.params, src);
    for (const [k, p] of a.params) assert.deepEqual(b.params.get(k)!.arraySync(), p.arraySync(), k);
  }
  assert.equal(readStateDict(path.join(dir, 'w.npz')).size, a.params.size);
  // the .npz as any zip reader sees it (walked here, not with src/train/npz.ts): one stored entry per
  // key, each local header's CRC-32 equal to node:zlib's, each entry an .npy (npyjs) with the values
  const zip = fs.readFileSync(path.join(dir, 'w.npz'));
  const entries = new Map<string, Buffer>();
  for (let at = 0; zip.readUInt32LE(at) === 0x04034b50;) {
    const [method, crc, size] = [zip.readUInt16LE(at + 8), zip.readUInt32LE(at + 14), zip.readUInt32LE(at + 18)];
    const name = zip.subarray(at + 30, at + 30 + zip.readUInt16LE(at + 26)).toString('utf8');
    const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
    const body = zip.subarray(start, start + size);
    assert.equal(method, 0, `${name}: stored`);
    assert.equal(crc, zlib.crc32(body), `${name}: CRC-32`);
    entries.set(name, body);
    at = start + size;
  }
  assert.deepEqual([...entries.keys()].sort(), [...a.params.keys()].map((k) => `${k}.npy`).sort());
  for (const [k, p] of a.params) {
    const e = entries.get(`${k}.npy`)!;
    const npy = npyParse(e.buffer.slice(e.byteOffset, e.byteOffset + e.byteLength));
    assert.deepEqual([npy.shape, Array.from(npy.data as Float32Array)], [p.shape, Array.from(p.dataSync())], k);
  }
  // and state dicts numpy wrote (np.savez stored, np.savez_compressed deflated; test/fixtures/npz/make_npz.py)
  for (const f of ['savez.npz', 'savez_compressed.npz']) {
    const sd = readStateDict(path.join(__dirname, '..', 'fixtures', 'npz', f));
    assert.deepEqual([...sd.keys()].sort(), ['gcn_layers.0.w_h.bias', 'vertex_encoder.mention_text_linear.weight'], f);
    assert.deepEqual(sd.get('vertex_encoder.mention_text_linear.weight')!.arraySync(), [[-0.625, -0.375, -0.125], [0.125, 0.375, 0.625]], f);
    assert.deepEqual(Array.from(sd.get('gcn_layers.0.w_h.bias')!.dataSync()), [1.5, -2, Math.fround(1e-3)], f);
  }
  const c = createDrin({ bertDim: 16, resnetDim: 8, gcnDim: 12 }, 2);
  assert.throws(() => loadWeights(c.params, path.join(dir, 'w.npz')), /expects \[12/);
});

test('chunked back-propagation (tfjs engine) gives the gradients of the whole batch; a perturbed gradient fails the check', () => {
  const data = syntheticDrinTensors({ mentions: 12, seed: 4, bertDim: 16, resnetDim: 8 });
  // chunking is the tfjs engine's path (the ort engine's fused step ignores `chunk`): pin the engine
  const model = createDrin({ bertDim: 16, resnetDim: 8, gcnDim: 8 }, 3, { engine: 'tfjs' });
  assert.equal(model.engine, 'tfjs');
  assert.equal(model.lossAndGrads, undefined, 'no fused step: lossAndGradients takes the autodiff branches');
  const run = (chunk?: number) => {
    const r = lossAndGradients(model, data, 0.25, { chunk });
    const grads = new Map([...r.grads].map(([k, g]) => [k, Array.from(g.dataSync())]));
    r.grads.forEach((g) => g.dispose());
    return { loss: r.loss, ranks: Array.from(r.ranks), grads };
  };
  type Step = ReturnType<typeof run>;
  const assertSameStep = (a: Step, b: Step) => {
    assert.ok(Math.abs(a.loss - b.loss) < 1e-6, `loss ${a.loss} vs ${b.loss}`);
    assert.deepEqual(b.ranks, a.ranks);
    assert.deepEqual([...b.grads.keys()].sort(), [...a.grads.keys()].sort(), 'the same parameters get a gradient');
    for (const [k, ga] of a.grads) {
      const gb = b.grads.get(k)!;
      const scale = Math.max(...ga.map(Math.abs));
      ga.forEach((x, i) => assert.ok(Math.abs(x - gb[i]) <= 1e-5 * Math.max(1, scale), `${k}[${i}]: ${x} vs ${gb[i]}`));
    }
  };
  const whole = run();
  assert.ok(whole.grads.size > 10 && [...whole.grads.values()].every((g) => g.some((x) => x !== 0)), 'every gradient is non-zero');
  assertSameStep(whole, run(5)); // chunks of 5, 5, 2
  assertSameStep(whole, run(1));
  // the check is not vacuous: chunked gradients multiplied by 100, or one element nudged, are caught
  const chunked = run(5);
  const times100 = { ...chunked, grads: new Map([...chunked.grads].map(([k, g]) => [k, g.map((x) => x * 100)])) };
  assert.throws(() => assertSameStep(whole, times100), AssertionError);
  const [k0, g0] = [...chunked.grads][0];
  const nudged = { ...chunked, grads: new Map(chunked.grads).set(k0, g0.map((x, i) => (i === 0 ? x + 1e-3 * Math.max(1, Math.abs(x)) : x))) };
  assert.throws(() => assertSameStep(whole, nudged), AssertionError);
  model.params.forEach((p) => p.dispose());
});

test('rankingMetrics: 95 % Wilson intervals for top-k and a normal interval for MRR', () => {
  const ranks = [...Array(60).fill(1), ...Array(30).fill(2), ...Array(10).fill(0)]; // 60 hits of 100
  const m = rankingMetrics(ranks, [1, 5]);
  assert.equal(m.top1, 0.6);
  // Wilson 95 % for 60/100: 0.5020 – 0.6906
  assert.ok(Math.abs(m.top1Ci95Low - 0.502) < 1e-3 && Math.abs(m.top1Ci95High - 0.6906) < 1e-3, `${m.top1Ci95Low} ${m.top1Ci95High}`);
  assert.ok(m.top5Ci95Low < 0.9 && m.top5Ci95High > 0.9);
  assert.ok(m.mrrCi95Low < m.mrr && m.mrr < m.mrrCi95High);
  assert.deepEqual(wilson95(0, 0).map(Number.isNaN), [true, true]);
  const [lo, hi] = wilson95(10, 10);
  assert.ok(lo > 0.69 && lo < 0.73 && Math.abs(hi - 1) < 1e-12, `${lo} ${hi}`);
});
