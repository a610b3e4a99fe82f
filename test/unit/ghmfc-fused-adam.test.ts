// GHMFC's fused training step (ghmfc-graph.ts `adam`, GhmfcOrtEngine.trainStep: Adam inside the
// onnxruntime call) against the same engine's gradients followed by the tfjs Adam (src/train/adam.ts):
// same losses, parameters and moments step after step, also when the two paths alternate and after the
// parameters were replaced from outside (a checkpoint load).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { createGhmfc, GhmfcConfig } from '../../src/models/ghmfc';
import { ortUnavailable } from '../../src/onnx/session';
import { Adam, trainStep } from '../../src/train';
import type { RankingModel } from '../../src/train/model';
import { needs } from '../helpers/needs';

const why = ortUnavailable();
const B = 3, T = 6, N = 4, R = 5, Dt = 16, Di = 24;

function batch(seed: number): Record<string, tf.Tensor> {
  return {
    mention_text_feature: tf.randomNormal([B, T, Dt], 0, 1, 'float32', seed),
    mention_text_mask: tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0], [B, T], 'int32'),
    mention_start_pos: tf.tensor1d([1, 2, 0], 'int32'),
    mention_end_pos: tf.tensor1d([3, 4, 2], 'int32'),
    mention_image_feature: tf.randomUniform([B, N, Di], 0, 1, 'float32', seed + 1),
    entity_text_feature: tf.randomNormal([B, R, Dt], 0, 1, 'float32', seed + 2),
    answer_onehot: tf.oneHot(tf.tensor1d([0, 2, 3], 'int32'), R - 1).toFloat(),
  };
}

const CFG: Partial<GhmfcConfig> = { dataset: 'wikidiverse', bertDim: Dt, resnetDim: Di, mentionOutputDim: Dt, entityOutputDim: Dt, numHeads: 4 };

/** The same model without its fused step: trainStep takes lossAndGrads + Adam.step. */
const unfused = (m: RankingModel): RankingModel => ({ ...m, trainStepFused: undefined });
const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

before(async () => {
  await initBackend();
});

for (const [name, over] of [
  ['multimodal bi (GHMFC)', {}],
  ['transformer (1 layer), avg extract', { mentionLayer: 'transformer', transformerLayers: 1, transformerFfnDim: 12, mentionRepresentation: 'avg extract' }],
] as Array<[string, Partial<GhmfcConfig>]>) {
  test(`GHMFC fused Adam step = gradients + tfjs Adam, over several steps and mixed paths: ${name}`, { skip: needs(!why, why ?? '') }, () => {
    const cfg = { ...CFG, ...over };
    const fused = createGhmfc(cfg, 4, { engine: 'ort', dropout: false });
    const plain = createGhmfc(cfg, 4, { engine: 'ort', dropout: false });
    assert.ok(fused.trainStepFused, 'the ort engine offers a fused step');
    const [oa, ob] = [new Adam({ lr: 3e-3 }), new Adam({ lr: 3e-3 })];
    const b = batch(7);
    const start = new Map([...fused.params].map(([k, v]) => [k, v.clone()]));
    // steps 1-3 fused, 4 on the tfjs Adam (host moments → tfjs), 5-6 fused again (tfjs → host)
    [true, true, true, false, true, true].forEach((f, i) => {
      const la = trainStep(f ? fused : unfused(fused), oa, b, 0.25).loss;
      const lb = trainStep(unfused(plain), ob, b, 0.25).loss;
      assert.ok(Math.abs(la - lb) < 1e-6, `step ${i + 1}: loss ${la} vs ${lb}`);
    });
    for (const [k, p] of plain.params) assert.ok(maxDiff(fused.params.get(k)!, p) < 1e-6, `${k}: parameters differ by ${maxDiff(fused.params.get(k)!, p)}`);
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
}

test('GHMFC fused step after the parameters were replaced from outside reads the new values', { skip: needs(!why, why ?? '') }, () => {
  const fused = createGhmfc(CFG, 1, { engine: 'ort', dropout: false });
  const plain = createGhmfc(CFG, 2, { engine: 'ort', dropout: false });
  const [oa, ob] = [new Adam(), new Adam()];
  const b = batch(3);
  trainStep(fused, oa, b, 0.25);
  // a checkpoint load: every parameter assigned anew, the optimizer state replaced
  for (const [k, p] of plain.params) fused.params.get(k)!.assign(p);
  oa.setState(ob.getState());
  const la = trainStep(fused, oa, b, 0.25).loss;
  const lb = trainStep(unfused(plain), ob, b, 0.25).loss;
  assert.ok(Math.abs(la - lb) < 1e-6, `loss ${la} vs ${lb}`);
  for (const [k, p] of plain.params) assert.ok(maxDiff(fused.params.get(k)!, p) < 1e-6, `${k}: parameters differ`);
});
