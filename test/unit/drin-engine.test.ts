// DRIN's two engines: the onnxruntime graph (drin-graph.ts) against tfjs's autodiff of drin.ts, on
// every option the graph covers and every batch form; engine choice and its errors; the graph builder.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin, DrinConfig } from '../../src/models';
import { resolveDrinEngine } from '../../src/models/drin';
import { readDrinEnv } from '../../src/cli/env';
import { drinConfig } from '../../src/models/drin-config';
import { drinGraphGradKeys } from '../../src/models/drin-graph';
import { OnnxGraph } from '../../src/onnx/graph';
import { OrtSession } from '../../src/onnx/session';
import { Adam, trainStep } from '../../src/train';
import { tripletLoss } from '../../src/train/loss';

type Form = 'wikidiverse' | 'wikimel-tokens' | 'pooled' | 'object-axis';

/** A random batch in one of the CONTRACTS §3 forms. */
function batchFor(form: Form, B: number, R: number, Dt: number, Di: number, seed = 1): Record<string, tf.Tensor> {
  const n = (shape: number[], s: number) => tf.randomNormal(shape, 0, 1, 'float32', seed * 100 + s);
  const u = (shape: number[], s: number) => tf.randomUniform(shape, 0, 1, 'float32', seed * 100 + s);
  const L = 7;
  const lens = tf.tensor1d(Array.from({ length: B * R }, (_, i) => 3 + (i % (L - 3))), 'int32').reshape([B, R, 1]);
  const text: Record<string, tf.Tensor> =
    form === 'wikimel-tokens'
      ? { entity_text_feature: n([B, R, L, Dt], 5), entity_text_mask: tf.range(0, L, 1, 'int32').reshape([1, 1, L]).less(lens).toInt() }
      : form === 'pooled'
        ? { entity_text_pooled: n([B, R, Dt], 5), entity_text_cls: n([B, R, Dt], 12) }
        : { entity_text_feature: n([B, R, Dt], 5), entity_text_mask: tf.zeros([B], 'int32') };
  const objAxis = form === 'object-axis';
  return {
    mention_text_feature: n([B, 9, Dt], 1),
    mention_start_pos: tf.tensor1d(Array.from({ length: B }, (_, i) => 1 + (i % 3)), 'int32'),
    mention_end_pos: tf.tensor1d(Array.from({ length: B }, (_, i) => 3 + (i % 4)), 'int32'),
    mention_image_feature: u([B, 5, Di], 2),
    mention_object_feature: u(objAxis ? [B, 3, 2, Di] : [B, 3, Di], 3),
    mention_object_score: u([B, 3], 4),
    ...text,
    entity_image_feature: u(objAxis ? [B, R, 2, Di] : [B, R, 1, Di], 6),
    entity_object_feature: u(objAxis ? [B, R, 2, 3, Di] : [B, R, 1, Di], 7),
    entity_object_score: u(objAxis ? [B, R, 2] : [B, R, 1], 8),
    miet_similarity: u([B, R], 9).mul(30),
    mtei_similarity: u([B, R], 10).mul(30),
    answer_onehot: tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => (i * 3) % (R - 1)), 'int32'), R - 1).toFloat(),
  };
}

/** Largest |a − b| / (tolAbs + tolRel·|b|): ≤ 1 passes. */
function excess(a: tf.Tensor, b: tf.Tensor, tolAbs = 1e-5, tolRel = 1e-4): number {
  return tf.tidy(() => a.sub(b).abs().div(b.abs().mul(tolRel).add(tolAbs)).max().dataSync()[0]);
}

before(async () => {
  await tf.setBackend('wasm');
});

/** name, configuration, batch form, [B, R] (default [4, 6]: B·R = 24 > D, entity rows left to the projection, layer 0 lazy). */
const cases: [string, Partial<DrinConfig>, Form, [number, number]?][] = [
  ['paper defaults, WikiDiverse form', {}, 'wikidiverse'],
  ['WikiMEL token features (mask-pooled inside)', {}, 'wikimel-tokens'],
  ['pooled + CLS form', {}, 'pooled'],
  ['objects and entity images with an extra axis to average', {}, 'object-axis'],
  ['static edges', { edgeType: 'static' }, 'wikidiverse'],
  ['edge mask [1, 0, 0.5, 1]', { edgeEnabled: [1, 0, 0.5, 1] }, 'wikidiverse'],
  ['one layer', { numLayers: 1 }, 'pooled'],
  ['three layers', { numLayers: 3 }, 'wikimel-tokens'],
  ['maskGoldSlot', { maskGoldSlot: true }, 'wikidiverse'],
  ['gcnDim ≠ bertDim, static + mask', { gcnDim: 20, edgeType: 'static', edgeEnabled: [0, 1, 1, 0] }, 'pooled'],
  ['entity rows formed and stacked (B·R = 12 ≤ D), three layers', { numLayers: 3 }, 'wikidiverse', [3, 4]],
  ['entity rows formed, maskGoldSlot + edge mask', { maskGoldSlot: true, edgeEnabled: [1, 0.5, 0, 1] }, 'pooled', [2, 5]],
];

for (const [name, opt, form, [B, R] = [4, 6]] of cases) {
  test(`ort engine = tfjs engine: ${name}`, () => {
    const cfg = { bertDim: 16, resnetDim: 12, gcnDim: 16, ...opt };
    const ref = createDrin(cfg, 7, { engine: 'tfjs' });
    const ort = createDrin(cfg, 7, { engine: 'ort' });
    assert.equal(ort.engine, 'ort');
    const batch = batchFor(form, B, R, 16, 12);
    // scores
    const sRef = tf.tidy(() => ref.scores(batch));
    const sOrt = ort.scores(batch);
    assert.ok(excess(sOrt, sRef) <= 1, `scores differ: ${excess(sOrt, sRef)}`);
    // loss and every gradient PyTorch would give
    const keys = [...ref.params.keys()];
    const vars = keys.map((k) => ref.params.get(k)!);
    const { value, grads } = tf.variableGrads(() => tripletLoss(ref.scores(batch), batch.answer_onehot, 0.25), vars);
    const out = ort.lossAndGrads!(batch, 0.25);
    assert.ok(Math.abs(out.loss - value.dataSync()[0]) < 1e-6, `loss ${out.loss} vs ${value.dataSync()[0]}`);
    const expected = drinGraphGradKeys(drinConfig(cfg));
    assert.deepEqual([...out.grads.keys()].sort(), [...expected].sort());
    for (const [vn, g] of Object.entries(grads)) {
      const k = keys[vars.findIndex((v) => v.name === vn)];
      const ours = out.grads.get(k);
      if (!ours) {
        // only parameters that cannot reach the loss may lack a gradient; tfjs gives them zeros
        assert.equal(g.abs().max().dataSync()[0], 0, `${k}: no ort gradient but a non-zero tfjs one`);
        continue;
      }
      assert.ok(excess(ours, g) <= 1, `${k}: gradients differ (excess ${excess(ours, g).toFixed(2)})`);
    }
    assert.ok([...out.grads.values()].some((g) => g.abs().max().dataSync()[0] > 1e-4), 'gradients are not all ~0');
  });
}

test('a training step on the ort engine moves the parameters as the tfjs engine does', () => {
  const cfg = { bertDim: 16, resnetDim: 12, gcnDim: 16 };
  const [a, b] = [createDrin(cfg, 3, { engine: 'tfjs' }), createDrin(cfg, 3, { engine: 'ort' })];
  const [oa, ob] = [new Adam(), new Adam()];
  const batch = batchFor('wikidiverse', 5, 6, 16, 12, 4);
  const la: number[] = [];
  const lb: number[] = [];
  for (let i = 0; i < 3; i++) {
    la.push(trainStep(a, oa, batch, 0.25).loss);
    lb.push(trainStep(b, ob, batch, 0.25).loss);
  }
  la.forEach((l, i) => assert.ok(Math.abs(l - lb[i]) < 1e-5, `step ${i}: loss ${l} vs ${lb[i]}`));
  assert.ok(lb[2] < lb[0], `loss falls: ${lb}`);
  // after 3 Adam steps the parameters agree to the size of one step's rounding-level move (see environment.md)
  for (const [k, p] of a.params) assert.ok(tf.tidy(() => p.sub(b.params.get(k)!).abs().max().dataSync()[0]) < 1e-4, k);
});

test('engine choice: vector edges fall back to tfjs with the reason; asking for ort names it', () => {
  const v = createDrin({ bertDim: 8, resnetDim: 8, gcnDim: 8, edgeFeature: 'vector' });
  assert.equal(v.engine, 'tfjs');
  assert.match(v.engineNote, /edgeFeature "vector"/);
  assert.equal(v.lossAndGrads, undefined);
  assert.throws(() => createDrin({ bertDim: 8, resnetDim: 8, gcnDim: 8, vertexActivation: 'relu' }, 0, { engine: 'ort' }), /cannot run this model: vertexActivation "relu"/);
  assert.equal(resolveDrinEngine(drinConfig({}), 'auto').engine, 'ort');
  // the engine is an argument: the library reads no environment variable; the CLI reads DRIN_ENGINE
  const saved = process.env.DRIN_ENGINE;
  try {
    process.env.DRIN_ENGINE = 'tfjs';
    assert.equal(resolveDrinEngine(drinConfig({})).engine, 'ort', 'DRIN_ENGINE is not read by the library');
  } finally {
    if (saved === undefined) delete process.env.DRIN_ENGINE;
    else process.env.DRIN_ENGINE = saved;
  }
  assert.equal(resolveDrinEngine(drinConfig({}), 'tfjs').engine, 'tfjs');
  assert.throws(() => resolveDrinEngine(drinConfig({}), 'fast' as 'auto'), /DRIN engine 'fast': expected auto, ort or tfjs/);
  assert.equal(readDrinEnv({ DRIN_ENGINE: 'tfjs' }).engine, 'tfjs');
  assert.equal(readDrinEnv({}).engine, 'auto');
  assert.throws(() => readDrinEnv({ DRIN_ENGINE: 'fast' }), /DRIN_ENGINE='fast': expected auto, ort or tfjs/);
});

test('OnnxGraph + OrtSession: a Gemm with attributes, split outputs, constants', () => {
  const g = new OnnxGraph('t');
  const a = g.input('a', [2, 3]);
  const b = g.input('b', [2, 3]);
  const y = g.op('Gemm', [a, b, g.constF([10, 20], [2])], { transB: 1 }); // a·bᵀ + c  [2,2]
  const [y0, y1] = g.opN('Split', [y, g.constI([1, 1])], { axis: 1 }, 2);
  g.output('y', y, [2, 2]);
  g.output('y1', y1, [2, 1]);
  g.output('y0x2', g.op('Mul', [y0, g.constF([2])]), [2, 1]);
  const s = new OrtSession(g.toBytes(), 1);
  const out = s.run({ a: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), dims: [2, 3] }, b: { data: Float32Array.from([1, 0, 0, 0, 1, 0]), dims: [2, 3] } }, ['y', 'y1', 'y0x2']);
  assert.deepEqual(Array.from(out.y), [11, 22, 14, 25]);
  assert.deepEqual(Array.from(out.y1), [22, 25]);
  assert.deepEqual(Array.from(out.y0x2), [22, 28]);
  s.dispose();
});
