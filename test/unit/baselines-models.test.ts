// GHMFC / MEL-HI options, building blocks and zero-shot rankers on toy inputs (no ../shared needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { createGhmfc, GhmfcConfig, ghmfcPoolEntityTokens } from '../../src/models/ghmfc';
import { createMelhi, melhiForward, melhiLstmExtract } from '../../src/models/melhi';
import { createBertZeroShot, createClipZeroShot } from '../../src/models/zeroshot';
import { initMultiheadAttention, torchMultiheadAttention } from '../../src/models/multihead-attention';

import { toyBatch, B, R, Dt, Di } from '../helpers/toy-batch';

const small: Partial<GhmfcConfig> = { bertDim: Dt, resnetDim: Di, mentionOutputDim: 12, entityOutputDim: 12, numHeads: 4, transformerLayers: 2, transformerFfnDim: 20 };

test('GHMFC: every mention option gives [B, R] cosine scores and leaks no tensors', async () => {
  await initBackend();
  const batch = toyBatch('wikimel');
  const options: Partial<GhmfcConfig>[] = [
    {},
    { multimodalAttention: 'text', entityOutputDim: Dt },
    { multimodalAttention: 'text', mentionRepresentation: 'avg extract', entityOutputDim: Dt },
    { mentionLayer: 'linear' },
    { mentionLayer: 'transformer', entityOutputDim: Dt },
    { mentionLayer: 'transformer', mentionRepresentation: 'avg extract', entityOutputDim: Dt, entityPooling: 'max' },
    { mentionLayer: 'none', entityOutputDim: Dt, entityPooling: 'bert default' },
  ];
  const all: number[][] = [];
  for (const o of options) {
    const m = createGhmfc({ ...small, ...o });
    const before = tf.memory().numTensors;
    const s = m.scores(batch);
    assert.deepEqual(s.shape, [B, R], JSON.stringify(o));
    const v = Array.from(s.dataSync());
    all.push(v);
    assert.ok(v.every((x) => Number.isFinite(x) && Math.abs(x) <= 1 + 1e-6), `cosines in [-1, 1] for ${JSON.stringify(o)}`);
    s.dispose();
    assert.equal(tf.memory().numTensors, before, `no leak for ${JSON.stringify(o)}`);
    m.params.forEach((p) => p.dispose());
  }
  // options 1 and 2 have the same weights (same seed and sizes) and differ only in the mention read-out
  assert.ok(all[2]!.some((x, i) => Math.abs(x - all[1]![i]!) > 1e-4), "mentionRepresentation 'avg extract' reaches the scores");
});

test('GHMFC: transformer option has the torch state_dict keys; size mismatches are refused', async () => {
  await initBackend();
  const m = createGhmfc({ ...small, mentionLayer: 'transformer', entityOutputDim: Dt });
  const keys = [...m.params.keys()];
  assert.ok(keys.includes('mention_encoder.intermediate_layer.transformer.layers.1.self_attn.in_proj_weight'));
  assert.deepEqual(m.params.get('mention_encoder.intermediate_layer.transformer.layers.0.linear1.weight')!.shape, [20, Dt]);
  assert.throws(() => createGhmfc({ ...small, mentionLayer: 'transformer', entityOutputDim: 12 }), /mention vector size 16 != entity vector size 12/);
});

test('GHMFC: dropout only in training mode; eval is deterministic', async () => {
  await initBackend();
  const batch = toyBatch('wikidiverse');
  const m = createGhmfc({ ...small, dataset: 'wikidiverse', dropout: 0.5 });
  const a = m.scores(batch).arraySync();
  const b = m.scores(batch).arraySync();
  const c = m.scores(batch, { training: true }).arraySync();
  assert.ok(a.flat().every(Number.isFinite) && c.flat().every(Number.isFinite), 'finite scores (NaN would compare equal)');
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('GHMFC WikiMEL: the memory-saving entity_text_pooled form gives the same scores', async () => {
  await initBackend();
  const batch = toyBatch('wikimel');
  const m = createGhmfc(small);
  const full = m.scores(batch).dataSync();
  const pooled = ghmfcPoolEntityTokens(batch.entity_text_feature as tf.Tensor4D, batch.entity_text_mask as tf.Tensor3D, 'avg');
  const { entity_text_feature: _f, entity_text_mask: _m, ...rest } = batch;
  const viaPooled = m.scores({ ...rest, entity_text_pooled: pooled }).dataSync();
  for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i]! - viaPooled[i]!) < 1e-6);
  // the pooled vector of slot (0,0) is the mean of tokens 1..n-2 (n = 4 → tokens 1, 2)
  const f = (batch.entity_text_feature as tf.Tensor4D).arraySync();
  const want = f[0]![0]![1]!.map((x, d) => (x + f[0]![0]![2]![d]!) / 2);
  const got = pooled.arraySync()[0]![0]!;
  want.forEach((x, d) => assert.ok(Math.abs(x - got[d]!) < 1e-6));
  // 'max': elementwise max of tokens 1..n-2 (slot (0,2): n = 6 → tokens 1..4); 'bert default': the CLS token
  const maxPooled = ghmfcPoolEntityTokens(batch.entity_text_feature as tf.Tensor4D, batch.entity_text_mask as tf.Tensor3D, 'max').arraySync();
  const toks = f[0]![2]!;
  assert.deepEqual(maxPooled[0]![2], toks[1]!.map((_, d) => Math.max(toks[1]![d]!, toks[2]![d]!, toks[3]![d]!, toks[4]![d]!)));
  assert.deepEqual(ghmfcPoolEntityTokens(batch.entity_text_feature as tf.Tensor4D, batch.entity_text_mask as tf.Tensor3D, 'bert default').arraySync()[1]![3], f[1]![3]![0]);
  // and the model pools as configured: entityPooling 'max' on token features = the same weights fed the 'max'-pooled vectors
  const mx = createGhmfc({ ...small, entityPooling: 'max' });
  const viaMax = m.scores({ ...rest, entity_text_pooled: tf.tensor(maxPooled) }).dataSync();
  const fullMax = mx.scores(batch).dataSync();
  assert.ok(fullMax.every((x, i) => Number.isFinite(x) && Math.abs(x - viaMax[i]!) < 1e-6), "entityPooling 'max' reaches the scores");
  assert.ok(fullMax.some((x, i) => Math.abs(x - full[i]!) > 1e-4), "'max' and 'avg' pooling score differently");
});

test('MultiheadAttention with kdim != embed dim uses separate q/k/v weights', async () => {
  await initBackend();
  const params = new Map<string, tf.Variable>();
  initMultiheadAttention(params, 'a', { embedDim: Dt, numHeads: 4, kdim: Di, vdim: Di });
  assert.deepEqual([...params.keys()], ['a.q_proj_weight', 'a.k_proj_weight', 'a.v_proj_weight', 'a.in_proj_bias', 'a.out_proj.weight', 'a.out_proj.bias']);
  assert.deepEqual(params.get('a.k_proj_weight')!.shape, [Dt, Di]);
  const q = tf.randomNormal([2, 3, Dt]);
  const kv = tf.randomNormal([2, 5, Di]);
  // masking a key = removing it
  const mask = tf.tensor2d([[0, 0, 0, 0, 1], [0, 0, 0, 0, 1]], [2, 5]).cast('bool');
  const masked = torchMultiheadAttention(params, 'a', { embedDim: Dt, numHeads: 4, kdim: Di, vdim: Di }, q, kv, kv, mask);
  const kv4 = kv.slice([0, 0, 0], [2, 4, Di]);
  const cut = torchMultiheadAttention(params, 'a', { embedDim: Dt, numHeads: 4, kdim: Di, vdim: Di }, q, kv4, kv4);
  assert.ok(tf.max(tf.abs(tf.sub(masked, cut))).dataSync()[0]! < 1e-5);
});

/** What torch's pack_sequence + `packed.data[unsorted_indices[i] - 1]` reads: [row, step] per row. */
function packedReference(lens: number[]): Array<[number, number]> {
  const order = lens.map((l, i) => [l, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((x) => x[1]);
  const data: Array<[number, number]> = [];
  for (let t = 0; t < Math.max(...lens); t++) for (const r of order) if (lens[r]! > t) data.push([r, t]);
  return lens.map((_, i) => data.at(order.indexOf(i) - 1)!);
}

test('MEL-HI LSTM read-out reproduces the packed-index quirk; "last" reads each own last step', async () => {
  await initBackend();
  const S = 6, H = 2;
  // outputs[b, t] = [b, t] so the picked vector names its source
  const outputs = tf.tensor3d(Array.from({ length: 5 }, (_, b) => Array.from({ length: S }, (_, t) => [b, t])), [5, S, H]);
  for (const lens of [[3, 1, 5, 2, 4], [2, 2, 1, 6, 6], [1, 1, 1, 1, 1], [4, 6, 6, 6, 2]]) {
    const got = melhiLstmExtract(outputs, tf.tensor1d(lens, 'int32'), 'reference').arraySync();
    assert.deepEqual(got, packedReference(lens), `lens ${lens}`);
    const last = melhiLstmExtract(outputs, tf.tensor1d(lens, 'int32'), 'last').arraySync();
    assert.deepEqual(last, lens.map((l, b) => [b, l - 1]));
  }
});

test('MEL-HI: [B, R] scores, gate closes with impossible thresholds, no leaks', async () => {
  await initBackend();
  const batch = toyBatch('wikidiverse');
  const m = createMelhi({ bertDim: Dt, resnetDim: Di });
  const before = tf.memory().numTensors;
  const s = m.scores(batch);
  assert.deepEqual(s.shape, [B, R]);
  s.dispose();
  assert.equal(tf.memory().numTensors, before);
  // thresholds every cosine passes (> -2) open the gate, impossible ones (> 2) close it; the toy batch's
  // default gate is already closed, so both ends are forced here
  const open = createMelhi({ bertDim: Dt, resnetDim: Di, thresTmim: -2, thresImie: -2 });
  const closed = createMelhi({ bertDim: Dt, resnetDim: Di, thresTmim: 2 });
  const gateOf = (model: ReturnType<typeof createMelhi>) => Array.from(melhiForward(model, batch, { inner: true }).inner.image_gate!.dataSync());
  assert.deepEqual(gateOf(open), [1, 1, 1]);
  assert.deepEqual(gateOf(closed), [0, 0, 0]);
  // a closed gate removes the images: brighter images leave every score as it was; an open gate lets them in
  const brighter = { ...batch, mention_image_feature: batch.mention_image_feature!.add(1), entity_image_feature: batch.entity_image_feature!.mul(3) };
  const finite = (x: number[][]) => x.flat().every(Number.isFinite);
  const c0 = closed.scores(batch).arraySync(), c1 = closed.scores(brighter).arraySync();
  assert.ok(finite(c0), 'finite scores');
  assert.deepEqual(c1, c0, 'closed gate: scores do not depend on the images');
  const o0 = open.scores(batch).arraySync(), o1 = open.scores(brighter).arraySync();
  assert.ok(finite(o0) && finite(o1), 'finite scores');
  assert.ok(Math.max(...o0.flat().map((x, i) => Math.abs(x - o1.flat()[i]!))) > 1e-3, 'open gate: the images change the scores');
  // per mention, strict >: sim_tmim = cos(CLS, image_map_text(mean region)), computed here by hand
  const W = melhiWeights(m, 'image_map_text.weight'), bias = melhiWeights(m, 'image_map_text.bias')[0]!;
  const text = batch.mention_text_feature!.arraySync() as number[][][];
  const regions = batch.mention_image_feature!.arraySync() as number[][][];
  const sims = regions.map((reg, b) => {
    const mean = reg[0]!.map((_, d) => reg.reduce((s, r) => s + r[d]!, 0) / reg.length);
    const mapped = W.map((row, o) => row.reduce((s, w, d) => s + w * mean[d]!, bias[o]!));
    const cls = text[b]![0]!;
    const dot = cls.reduce((s, x, d) => s + x * mapped[d]!, 0);
    return dot / Math.sqrt(cls.reduce((s, x) => s + x * x, 0) * mapped.reduce((s, x) => s + x * x, 0));
  });
  const sorted = [...sims].sort((a, b) => a - b);
  for (const thres of [(sorted[0]! + sorted[1]!) / 2, (sorted[1]! + sorted[2]!) / 2]) { // opens for 2, then 1 mention(s)
    const between = createMelhi({ bertDim: Dt, resnetDim: Di, thresTmim: thres, thresImie: -2 });
    const want = sims.map((s) => (s > thres ? 1 : 0));
    assert.ok(want.includes(0) && want.includes(1), `the threshold ${thres} splits the batch (sim_tmim by hand: ${sims})`);
    assert.deepEqual(gateOf(between), want, `gate at thres_tmim ${thres} (sim_tmim by hand: ${sims})`);
  }
  // the LSTM read-out option reaches the scores
  const fixed = createMelhi({ bertDim: Dt, resnetDim: Di, lstmExtract: 'last' });
  const f0 = fixed.scores(batch).arraySync();
  assert.ok(finite(f0));
  assert.notDeepEqual(f0, m.scores(batch).arraySync(), "lstmExtract 'last' reads other LSTM outputs than 'reference'");
  assert.throws(() => m.scores(toyBatch('wikimel')), /WikiDiverse layout/);
});

test('zero-shot rankers: CLIP = mean of the two CLIP similarities; BERT = CLS cosine', async () => {
  await initBackend();
  for (const layout of ['wikimel', 'wikidiverse'] as const) {
    const batch = toyBatch(layout);
    const clip = createClipZeroShot().scores(batch).arraySync();
    const a = batch.miet_similarity!.arraySync() as number[][];
    const b = batch.mtei_similarity!.arraySync() as number[][];
    clip.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - (a[i]![j]! + b[i]![j]!) / 2) < 1e-4)));
    const bert = createBertZeroShot().scores(batch).arraySync();
    const cls = (batch.mention_text_feature!.arraySync() as number[][][])[1]![0]!;
    const ent = layout === 'wikimel' ? (batch.entity_text_feature!.arraySync() as number[][][][])[1]![2]![0]! : (batch.entity_text_feature!.arraySync() as number[][][])[1]![2]!;
    const dot = cls.reduce((s, x, d) => s + x * ent[d]!, 0);
    const n = Math.sqrt(cls.reduce((s, x) => s + x * x, 0) * ent.reduce((s, x) => s + x * x, 0));
    assert.ok(Math.abs(bert[1]![2]! - dot / n) < 1e-5, layout);
  }
});

/** A MEL-HI parameter as nested arrays (Linear weights are [out, in]). */
function melhiWeights(m: ReturnType<typeof createMelhi>, key: string): number[][] {
  const p = m.params.get(key)!;
  return (p.rank === 1 ? [p.arraySync()] : p.arraySync()) as number[][];
}
