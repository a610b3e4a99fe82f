// Adam inside the onnxruntime step (drin-graph.ts `adam`, DrinOrtEngine.trainStep) against the same
// engine's gradients followed by the tfjs Adam (adam.ts): same parameters and moments, step after step,
// also when the two paths alternate (moments move between host and tfjs forms) and after a checkpoint-like
// reload of the parameters.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin } from '../../src/models';
import { Adam, trainStep } from '../../src/train';
import type { RankingModel } from '../../src/train/model';

function batch(B: number, R: number, D: number, seed: number): Record<string, tf.Tensor> {
  const n = (shape: number[], s: number) => tf.randomNormal(shape, 0, 1, 'float32', seed * 100 + s);
  const u = (shape: number[], s: number) => tf.randomUniform(shape, 0, 1, 'float32', seed * 100 + s);
  return {
    mention_text_feature: n([B, 9, D], 1),
    mention_start_pos: tf.tensor1d(Array.from({ length: B }, (_, i) => 1 + (i % 3)), 'int32'),
    mention_end_pos: tf.tensor1d(Array.from({ length: B }, (_, i) => 3 + (i % 4)), 'int32'),
    mention_image_feature: u([B, 5, D], 2),
    mention_object_feature: u([B, 3, D], 3),
    mention_object_score: u([B, 3], 4),
    entity_text_pooled: n([B, R, D], 5),
    entity_text_cls: n([B, R, D], 6),
    entity_image_feature: u([B, R, 1, D], 7),
    entity_object_feature: u([B, R, 1, D], 8),
    entity_object_score: u([B, R, 1], 9),
    miet_similarity: u([B, R], 10).mul(30),
    mtei_similarity: u([B, R], 11).mul(30),
    answer_onehot: tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => (i * 3) % (R - 1)), 'int32'), R - 1).toFloat(),
  };
}

/** The same model without its fused step: trainStep takes lossAndGrads + Adam.step. */
const unfused = (m: RankingModel): RankingModel => ({ ...m, trainStepFused: undefined });

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

before(async () => {
  await tf.setBackend('wasm');
});

test('fused Adam step = gradients + tfjs Adam, over several steps and mixed paths', () => {
  const cfg = { bertDim: 16, resnetDim: 16, gcnDim: 16 };
  const fused = createDrin(cfg, 5, { engine: 'ort' });
  const plain = createDrin(cfg, 5, { engine: 'ort' });
  assert.ok(fused.trainStepFused, 'the ort engine offers a fused step');
  const [oa, ob] = [new Adam({ lr: 3e-3 }), new Adam({ lr: 3e-3 })];
  const b = batch(5, 6, 16, 2);
  // steps 1-3 fused, 4 on the tfjs Adam (host moments → tfjs), 5-6 fused again (tfjs → host)
  const useFused = [true, true, true, false, true, true];
  const start = new Map([...fused.params].map(([k, v]) => [k, v.clone()]));
  useFused.forEach((f, i) => {
    const la = trainStep(f ? fused : unfused(fused), oa, b, 0.25).loss;
    const lb = trainStep(unfused(plain), ob, b, 0.25).loss;
    assert.ok(Math.abs(la - lb) < 1e-6, `step ${i + 1}: loss ${la} vs ${lb}`);
  });
  for (const [k, p] of plain.params) {
    assert.ok(maxDiff(fused.params.get(k)!, p) < 1e-6, `${k}: parameters differ by ${maxDiff(fused.params.get(k)!, p)}`);
  }
  const moved = Math.max(...[...fused.params].map(([k, p]) => maxDiff(p, start.get(k)!)));
  assert.ok(moved > 1e-3, `the parameters moved (${moved})`);
  const [sa, sb] = [oa.getState(), ob.getState()];
  assert.deepEqual(sa.steps, sb.steps);
  assert.equal(Object.values(sa.steps)[0], 6);
  for (const [k, m] of sb.m) {
    assert.ok(maxDiff(sa.m.get(k)!, m) < 1e-7, `${k}: first moments differ`);
    assert.ok(maxDiff(sa.v.get(k)!, sb.v.get(k)!) < 1e-9, `${k}: second moments differ`);
  }
});

test('a fused step after the parameters were replaced from outside reads the new values', () => {
  const cfg = { bertDim: 8, resnetDim: 8, gcnDim: 8 };
  const fused = createDrin(cfg, 1, { engine: 'ort' });
  const plain = createDrin(cfg, 1, { engine: 'ort' });
  const [oa, ob] = [new Adam(), new Adam()];
  const b = batch(4, 5, 8, 3);
  trainStep(fused, oa, b, 0.25);
  // a checkpoint load: every parameter assigned anew, the optimizer state replaced
  for (const [k, p] of plain.params) fused.params.get(k)!.assign(p);
  oa.setState(ob.getState());
  const la = trainStep(fused, oa, b, 0.25).loss;
  const lb = trainStep(unfused(plain), ob, b, 0.25).loss;
  assert.ok(Math.abs(la - lb) < 1e-6, `loss ${la} vs ${lb}`);
  for (const [k, p] of plain.params) assert.ok(maxDiff(fused.params.get(k)!, p) < 1e-6, k);
});
