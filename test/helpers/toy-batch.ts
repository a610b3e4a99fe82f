// A toy batch with every input of DRIN, GHMFC, MEL-HI and the zero-shot rankers, in both layouts
// (WikiMEL: entity text as token features + mask; WikiDiverse: one pooled vector per candidate).
import * as tf from '@tensorflow/tfjs';

// B batch, R slots, T tokens, N regions, L entity tokens, Dt / Di sizes
export const B = 3, R = 5, T = 8, N = 4, L = 6, Dt = 16, Di = 24;

/** Inputs [B, …] plus `answer_onehot` [B, R - 1] (gold in slot b % (R - 1); the last mention's gold absent). */
export function toyBatch(layout: 'wikimel' | 'wikidiverse'): Record<string, tf.Tensor> {
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 0, 0]], [B, T], 'int32');
  const emask = tf.tidy(() => tf.less(tf.range(0, L, 1, 'int32').reshape([1, 1, L]), tf.tensor3d([[[4], [5], [6], [3], [4]], [[6], [6], [5], [4], [3]], [[3], [4], [5], [6], [6]]], [B, R, 1], 'int32')).cast('int32'));
  return {
    mention_text_feature: tf.randomNormal([B, T, Dt], 0, 1, 'float32', 1),
    mention_text_mask: mask,
    mention_start_pos: tf.tensor1d([1, 2, 3], 'int32'),
    mention_end_pos: tf.tensor1d([3, 4, 5], 'int32'),
    mention_image_feature: tf.randomUniform([B, N, Di], 0, 1, 'float32', 2),
    entity_text_feature: layout === 'wikimel' ? tf.randomNormal([B, R, L, Dt], 0, 1, 'float32', 3) : tf.randomNormal([B, R, Dt], 0, 1, 'float32', 3),
    entity_text_mask: layout === 'wikimel' ? emask : tf.zeros([B], 'int32'),
    entity_image_feature: tf.randomUniform([B, R, Di], 0, 1, 'float32', 4),
    miet_similarity: tf.randomUniform([B, R], 10, 30, 'float32', 5),
    mtei_similarity: tf.randomUniform([B, R], 10, 30, 'float32', 6),
    mention_object_feature: tf.randomUniform([B, 3, 1, Di], 0, 1, 'float32', 7), // [B, objects, 1, Di]
    mention_object_score: tf.randomUniform([B, 3], 0, 1, 'float32', 8),
    entity_object_feature: tf.randomUniform([B, R, 1, Di], 0, 1, 'float32', 9),
    entity_object_score: tf.randomUniform([B, R, 1], 0, 1, 'float32', 10),
    answer_onehot: tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, R - 1], 'int32'), R - 1).cast('float32')), // [B, R-1]; index R-1 → all zero
  };
}

