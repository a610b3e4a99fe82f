/**
 * A small generated DRIN problem with a learnable answer, for tests and for developing notebooks before
 * real features exist. The mention span's tokens are a fixed random projection of the gold entity's text
 * vector plus noise; the gold also shares image features with the mention (weaker signal). A model has to
 * learn the projection to rank the gold first; chance top-1 is 1/C.
 *
 * N mentions, C candidates, R = C + 1 slots (last = gold), T tokens, Dt text size, Di image size, Rg regions.
 */
import * as tf from '@tensorflow/tfjs';

export interface SyntheticDrinOptions {
  mentions: number;
  candidates: number;
  tokens: number;
  bertDim: number;
  resnetDim: number;
  regions: number;
  /** Share of mentions whose gold is not among the candidates (answer = C, all-zero one-hot). */
  absentShare: number;
  noise: number;
  /** Seed of the mentions drawn. */
  seed: number;
  /** Seed of the problem itself (the projection to learn): keep it equal across train/valid/test. */
  problemSeed: number;
}

/** Tensors of a whole synthetic split, named as CONTRACTS §3 batches (leading axis = mentions). */
export function syntheticDrinTensors(opts: Partial<SyntheticDrinOptions> = {}): Record<string, tf.Tensor> {
  const o: SyntheticDrinOptions = { mentions: 256, candidates: 10, tokens: 12, bertDim: 32, resnetDim: 48, regions: 4, absentShare: 0.1, noise: 0.5, seed: 0, problemSeed: 0, ...opts };
  const { mentions: N, candidates: C, tokens: T, bertDim: Dt, resnetDim: Di, regions: Rg } = o;
  const R = C + 1;
  let s = o.seed * 1009 + 17;
  const next = () => (s = (s * 48271) % 2147483647);
  return tf.tidy(() => {
    const ent = tf.randomNormal([N, R, Dt], 0, 1, 'float32', next()); // candidate text vectors
    const entImg = tf.randomUniform([N, R, Di], 0, 1, 'float32', next());
    // answers: uniform over candidates, some absent
    const u = tf.randomUniform([N], 0, 1, 'float32', next());
    const pick = tf.randomUniform([N], 0, C, 'int32', next());
    const answer = tf.where(u.less(o.absentShare), tf.fill([N], C, 'int32'), pick); // [N]
    const onehot = tf.oneHot(answer, C + 1).slice([0, 0], [N, C]).toFloat(); // [N,C]
    // the gold slot (last) repeats the answer's candidate; absent gold: a fresh entity
    const goldFromCands = tf.matMul(onehot.reshape([N, 1, C]), ent.slice([0, 0, 0], [N, C, Dt])).reshape([N, Dt]);
    const present = onehot.sum(-1, true); // [N,1]
    const gold = goldFromCands.mul(present).add(ent.slice([0, C, 0], [N, 1, Dt]).reshape([N, Dt]).mul(tf.scalar(1).sub(present)));
    const goldImgC = tf.matMul(onehot.reshape([N, 1, C]), entImg.slice([0, 0, 0], [N, C, Di])).reshape([N, Di]);
    const goldImg = goldImgC.mul(present).add(entImg.slice([0, C, 0], [N, 1, Di]).reshape([N, Di]).mul(tf.scalar(1).sub(present)));
    const entityText = tf.concat([ent.slice([0, 0, 0], [N, C, Dt]), gold.reshape([N, 1, Dt])], 1); // [N,R,Dt]
    const entityImage = tf.concat([entImg.slice([0, 0, 0], [N, C, Di]), goldImg.reshape([N, 1, Di])], 1); // [N,R,Di]
    // mention tokens: noise, with the span [start, end) = projection of the gold vector + noise
    const proj = tf.randomNormal([Dt, Dt], 0, 1 / Math.sqrt(Dt), 'float32', 7919 + o.problemSeed); // shared by all splits
    const start = tf.fill([N], 2, 'int32');
    const end = tf.fill([N], 5, 'int32');
    const spanVec = tf.matMul(gold, proj); // [N,Dt]
    const pos = tf.range(0, T, 1, 'int32').reshape([1, T, 1]);
    const inSpan = pos.greaterEqual(2).logicalAnd(pos.less(5)).toFloat(); // [1,T,1]
    const tokens = tf.randomNormal([N, T, Dt], 0, o.noise, 'float32', next()).add(inSpan.mul(spanVec.reshape([N, 1, Dt])));
    const mentionImage = goldImg.reshape([N, 1, Di]).add(tf.randomUniform([N, Rg, Di], 0, 1, 'float32', next())); // [N,Rg,Di]
    const mObj = tf.randomUniform([N, 3, 1, Di], 0, 1, 'float32', next());
    const eObj = tf.randomUniform([N, R, 1, Di], 0, 1, 'float32', next());
    return {
      mention_text_feature: tokens,
      mention_text_mask: tf.ones([N, T], 'int32'),
      mention_start_pos: start,
      mention_end_pos: end,
      mention_image_feature: mentionImage,
      mention_object_feature: mObj,
      mention_object_score: tf.randomUniform([N, 3], 0, 1, 'float32', next()),
      entity_text_feature: entityText,
      entity_text_mask: tf.zeros([N], 'int32'),
      entity_image_feature: entityImage,
      entity_object_feature: eObj,
      entity_object_score: tf.randomUniform([N, R, 1], 0, 1, 'float32', next()),
      miet_similarity: tf.randomUniform([N, R], 15, 35, 'float32', next()),
      mtei_similarity: tf.randomUniform([N, R], 15, 35, 'float32', next()),
      answer_index: answer,
      answer_onehot: onehot,
    };
  });
}
