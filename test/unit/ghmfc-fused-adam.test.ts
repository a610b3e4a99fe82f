// GHMFC's fused training step (ghmfc-graph.ts `adam`, GhmfcOrtEngine.trainStep: Adam inside the
// onnxruntime call) against the same engine's gradients followed by the tfjs Adam (src/train/adam.ts):
// same losses, parameters and moments step after step, also when the two paths alternate and after the
// parameters were replaced from outside (a checkpoint load).
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { createGhmfc, GhmfcConfig } from '../../src/models/ghmfc';
import { ortUnavailable } from '../../src/onnx/session';
import { checkFusedAfterReload, checkFusedSteps } from '../helpers/fused-adam-check';
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

before(async () => {
  await initBackend();
});

for (const [name, over] of [
  ['multimodal bi (GHMFC)', {}],
  ['transformer (1 layer), avg extract', { mentionLayer: 'transformer', transformerLayers: 1, transformerFfnDim: 12, mentionRepresentation: 'avg extract' }],
] as Array<[string, Partial<GhmfcConfig>]>) {
  test(`GHMFC fused Adam step = gradients + tfjs Adam, over several steps and mixed paths: ${name}`, { skip: needs(!why, why ?? '') }, () => {
    const cfg = { ...CFG, ...over };
    checkFusedSteps(createGhmfc(cfg, 4, { engine: 'ort', dropout: false }), createGhmfc(cfg, 4, { engine: 'ort', dropout: false }), batch(7), 3e-3);
  });
}

test('GHMFC fused step after the parameters were replaced from outside reads the new values', { skip: needs(!why, why ?? '') }, () => {
  checkFusedAfterReload(createGhmfc(CFG, 1, { engine: 'ort', dropout: false }), createGhmfc(CFG, 2, { engine: 'ort', dropout: false }), batch(3));
});
