// Adam inside the onnxruntime step (drin-graph.ts `adam`, DrinOrtEngine.trainStep) against the same
// engine's gradients followed by the tfjs Adam (adam.ts): same parameters and moments, step after step,
// also when the two paths alternate (moments move between host and tfjs forms) and after a checkpoint-like
// reload of the parameters.
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin } from '../../src/models';
import { checkFusedAfterReload, checkFusedSteps } from '../helpers/fused-adam-check';

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

before(async () => {
  await tf.setBackend('wasm');
});

test('fused Adam step = gradients + tfjs Adam, over several steps and mixed paths', () => {
  const cfg = { bertDim: 16, resnetDim: 16, gcnDim: 16 };
  checkFusedSteps(createDrin(cfg, 5, { engine: 'ort' }), createDrin(cfg, 5, { engine: 'ort' }), batch(5, 6, 16, 2), 3e-3);
});

test('a fused step after the parameters were replaced from outside reads the new values', () => {
  const cfg = { bertDim: 8, resnetDim: 8, gcnDim: 8 };
  checkFusedAfterReload(createDrin(cfg, 1, { engine: 'ort' }), createDrin(cfg, 1, { engine: 'ort' }), batch(4, 5, 8, 3));
});
