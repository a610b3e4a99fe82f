// DRIN model pieces: entity-text forms, options, parameter layout.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin, reduceEntityText, drinMentionSpanMean, drinGeluErf, drinImageImageEdge } from '../../src/models';

function batchFor(B: number, R: number, L: number, Dt: number, Di: number, seed = 1): Record<string, tf.Tensor> {
  const n = (shape: number[], s: number) => tf.randomNormal(shape, 0, 1, 'float32', seed * 100 + s);
  const u = (shape: number[], s: number) => tf.randomUniform(shape, 0, 1, 'float32', seed * 100 + s);
  const lens = tf.tensor1d(Array.from({ length: B * R }, (_, i) => 4 + (i % (L - 4))), 'int32').reshape([B, R, 1]);
  return {
    mention_text_feature: n([B, 8, Dt], 1),
    mention_text_mask: tf.ones([B, 8], 'int32'),
    mention_start_pos: tf.tensor1d(Array.from({ length: B }, (_, i) => 1 + (i % 3)), 'int32'),
    mention_end_pos: tf.tensor1d(Array.from({ length: B }, (_, i) => 3 + (i % 4)), 'int32'),
    mention_image_feature: u([B, 5, Di], 2),
    mention_object_feature: u([B, 3, 1, Di], 3),
    mention_object_score: u([B, 3], 4),
    entity_text_feature: n([B, R, L, Dt], 5),
    entity_text_mask: tf.range(0, L, 1, 'int32').reshape([1, 1, L]).less(lens).toInt(),
    entity_image_feature: u([B, R, 1, Di], 6),
    entity_object_feature: u([B, R, 1, 1, Di], 7),
    entity_object_score: u([B, R, 1], 8),
    miet_similarity: u([B, R], 9).mul(30),
    mtei_similarity: u([B, R], 10).mul(30),
  };
}

before(async () => {
  await tf.setBackend('wasm');
});

test('reduceEntityText: mean of tokens 1..n-2 and the CLS token, per slot', () => {
  const f = tf.tensor4d([[[[0], [1], [2], [3], [100]], [[5], [6], [7], [200], [300]]]]); // [1,2,5,1]
  const m = tf.tensor3d([[[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]], undefined, 'int32'); // n = 5, 3
  const { pooled, cls } = reduceEntityText(f, m);
  assert.deepEqual(pooled.arraySync(), [[[2], [6]]]); // (1+2+3)/3, 6/1
  assert.deepEqual(cls.arraySync(), [[[0], [5]]]);
});

test('mentionSpanMean averages tokens [start, end)', () => {
  const f = tf.tensor3d([[[1], [2], [3], [4]], [[10], [20], [30], [40]]]);
  const s = drinMentionSpanMean(f, tf.tensor1d([1, 0], 'int32'), tf.tensor1d([3, 1], 'int32'));
  assert.deepEqual(s.arraySync(), [[2.5], [10]]);
});

test('geluErf matches erf GELU values and its gradient', () => {
  const x = tf.tensor1d([-3, -1, -0.1, 0, 0.5, 2]);
  const ref = [-0.0040496, -0.1586553, -0.0460172, 0, 0.3457312, 1.9544997];
  const y = drinGeluErf(x).arraySync() as number[];
  y.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-6, `gelu(${i}) ${v} vs ${ref[i]}`));
  const g = tf.grad((t: tf.Tensor) => drinGeluErf(t).sum())(x).arraySync() as number[];
  const num = (v: number) => (geluAt(v + 1e-3) - geluAt(v - 1e-3)) / 2e-3;
  [-3, -1, -0.1, 0, 0.5, 2].forEach((v, i) => assert.ok(Math.abs(g[i] - num(v)) < 1e-3, `gelu'(${v}) ${g[i]} vs ${num(v)}`));
});
function geluAt(v: number): number {
  return (drinGeluErf(tf.scalar(v)).dataSync() as Float32Array)[0];
}

test('image-image edge: detector-score weighted mean of object cosines', () => {
  const mo = tf.tensor3d([[[1, 0], [0, 1], [1, 1]]]); // [1,3,2]
  const ms = tf.tensor2d([[1, 0.5, 0]]);
  const eo = tf.tensor4d([[[[1, 0]]]]); // [1,1,1,2]
  const es = tf.tensor3d([[[0.8]]]);
  const e = drinImageImageEdge(mo, ms, eo, es).dataSync()[0];
  const expect = (1 * 0.8 * 1 + 0.5 * 0.8 * 0) / (0.8 + 0.4 + 1e-9);
  assert.ok(Math.abs(e - expect) < 1e-6, `${e} vs ${expect}`);
});

for (const engine of ['ort', 'tfjs'] as const)
  test(`pre-pooled entity text (CONTRACTS §3) gives the same scores as token features (${engine} engine)`, () => {
    const model = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8 }, 3, { engine });
    const b = batchFor(3, 5, 9, 16, 12);
    const { pooled, cls } = reduceEntityText(b.entity_text_feature, b.entity_text_mask);
    const { entity_text_feature: _f, entity_text_mask: _m, ...rest } = b;
    const a = model.scores(b).arraySync();
    const c = model.scores({ ...rest, entity_text_pooled: pooled, entity_text_cls: cls }).arraySync();
    assert.deepEqual(c, a);
  });

test('options: parameter names and shapes follow the reference state_dict', () => {
  const v = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8, edgeFeature: 'vector', numLayers: 3 });
  assert.deepEqual(v.params.get('gcn_layers.2.w_m.weight')!.shape, [8, 8]);
  assert.deepEqual(v.params.get('gcn_layers.0.w_u.weight')!.shape, [4, 8]);
  assert.equal([...v.params.keys()].filter((k) => k.startsWith('gcn_layers.')).length, 3 * 10);
  const s = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8 });
  assert.equal(s.params.has('gcn_layers.0.w_m.weight'), false);
  assert.deepEqual(s.params.get('vertex_encoder.mention_image_linear.weight')!.shape, [8, 12]);
  assert.throws(() => createDrin({ edgeFeature: 'vector', gcnDim: 7 }), /even gcnDim/);
});

for (const engine of ['ort', 'tfjs'] as const)
  test(`every option changes the scores; static edges and masks run; gold-slot mask hides the gold features (${engine} engine)`, () => {
    const b = batchFor(2, 4, 7, 16, 12, 2);
    const base = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8 }, 5, { engine }).scores(b).arraySync();
    for (const opt of [{ edgeType: 'static' as const }, { edgeEnabled: [1, 0, 1, 0] as [number, number, number, number] }, { maskGoldSlot: true }]) {
      const s = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8, ...opt }, 5, { engine }).scores(b).arraySync();
      assert.notDeepEqual(s, base, JSON.stringify(opt));
    }
    // with the gold slot masked, changing the gold slot's image changes only the gold score
    const m = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8, maskGoldSlot: true }, 5, { engine });
    const img = b.entity_image_feature;
    const bumped = tf.concat([img.slice([0, 0, 0, 0], [2, 3, 1, 12]), img.slice([0, 3, 0, 0], [2, 1, 1, 12]).add(1)], 1);
    const s1 = m.scores(b).slice([0, 0], [2, 3]).arraySync();
    const s2 = m.scores({ ...b, entity_image_feature: bumped }).slice([0, 0], [2, 3]).arraySync();
    assert.deepEqual(s2, s1);
    const f = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8 }, 5, { engine }); // faithful: the gold leaks into every score
    assert.notDeepEqual(f.scores({ ...b, entity_image_feature: bumped }).slice([0, 0], [2, 3]).arraySync(), f.scores(b).slice([0, 0], [2, 3]).arraySync());
  });

test('extras: per-layer gold-slot edges [B, layers, 4]', () => {
  const m = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8, numLayers: 3 });
  const b = batchFor(2, 4, 7, 16, 12);
  const e = m.extras!(b).edges;
  assert.deepEqual(e.shape, [2, 3, 4]);
  const l0 = (e.arraySync() as number[][][])[0][0];
  const expectTi = b.mtei_similarity.arraySync() as number[][];
  assert.ok(Math.abs(l0[1] - expectTi[0][3] / 100) < 1e-6); // ti of the gold slot = mtei / 100
});

// The equal-score checks above (pre-pooled = token features; masked gold slot) use deepEqual, under which NaN
// equals NaN: they hold only together with finite scores on the same inputs, checked here for both engines.
for (const engine of ['ort', 'tfjs'] as const)
  test(`the scores the equality checks compare are finite, varied cosines (${engine} engine)`, () => {
    const finite = (s: number[][]) => s.flat().every((x) => Number.isFinite(x) && Math.abs(x) <= 1 + 1e-6) && new Set(s.flat()).size > 1;
    const b = batchFor(3, 5, 9, 16, 12);
    const { pooled, cls } = reduceEntityText(b.entity_text_feature, b.entity_text_mask);
    const { entity_text_feature: _f, entity_text_mask: _m, ...rest } = b;
    const model = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8 }, 3, { engine });
    assert.ok(finite(model.scores(b).arraySync() as number[][]), 'token features');
    assert.ok(finite(model.scores({ ...rest, entity_text_pooled: pooled, entity_text_cls: cls }).arraySync() as number[][]), 'pre-pooled');
    const masked = createDrin({ bertDim: 16, resnetDim: 12, gcnDim: 8, maskGoldSlot: true }, 5, { engine });
    assert.ok(finite(masked.scores(batchFor(2, 4, 7, 16, 12, 2)).arraySync() as number[][]), 'gold slot masked');
  });
