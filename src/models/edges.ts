/**
 * DRIN's initial edges (paper §3.3), one scalar per candidate slot and edge type.
 *
 * B batch, R candidate slots (C + 1), O mention objects (3), P entity objects (1), Dt BERT, Di ResNet.
 *
 *  tt  text–text   cosine(mention span mean, raw entity text vector (WikiMEL: its CLS token))
 *  ti  text–image  mtei / 100 (CLIP logit of mention text vs entity image)
 *  it  image–text  miet / 100 (CLIP logit of mention image vs entity text)
 *  ii  image–image detector-score-weighted mean of the object cosines
 */
import * as tf from '@tensorflow/tfjs';
import { drinCosine, drinNormalize } from '../nn';
import { DrinBatch, drinMeanAxisIfRank } from './vertices';

/** The four edges [tt, ti, it, ii], each [B,R]. */
export type DrinEdges = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];

/**
 * Image–image edge: Σ_ij cos(mo_i, eo_j)·s_i·s_j / (Σ_ij s_i·s_j + 1e-9).
 * mentionObjects [B,O,Di] (or [B,O,k,Di], averaged), mentionScores [B,O],
 * entityObjects [B,R,P,Di] (or [B,R,P,k,Di]), entityScores [B,R,P] → [B,R].
 */
export function drinImageImageEdge(
  mentionObjects: tf.Tensor,
  mentionScores: tf.Tensor,
  entityObjects: tf.Tensor,
  entityScores: tf.Tensor,
  eps = 1e-8,
): tf.Tensor {
  const mo = drinNormalize(drinMeanAxisIfRank(mentionObjects, 4), eps); // [B,O,Di]
  const eo = drinNormalize(drinMeanAxisIfRank(entityObjects, 5), eps); // [B,R,P,Di]
  const [B, R, P, Di] = eo.shape as number[];
  const O = mo.shape[1]!;
  const moT = tf.transpose(mo, [0, 2, 1]); // [B,Di,O] (explicit: tfjs-wasm's transposeB matMul is slow)
  const cos = tf.matMul(eo.reshape([B, R * P, Di]), moT).reshape([B, R, P, O]); // [B,R,P,O]
  const w = entityScores.reshape([B, R, P, 1]).mul(mentionScores.reshape([B, 1, 1, O])); // [B,R,P,O]
  const num = cos.mul(w).sum([2, 3]); // [B,R]
  const den = w.sum([2, 3]).add(1e-9); // [B,R]
  return num.div(den);
}

/** The initial edges [tt, ti, it, ii], each [B,R]. */
export function drinInitialEdges(
  batch: DrinBatch,
  spanMean: tf.Tensor, // [B,Dt]
  entityTextRaw: tf.Tensor, // [B,R,Dt]
  cosineEps: number,
): DrinEdges {
  const [B, Dt] = spanMean.shape;
  const tt = drinCosine(spanMean.reshape([B, 1, Dt]), entityTextRaw, cosineEps); // [B,R]
  const ti = batch.mtei_similarity.div(100); // [B,R]
  const it = batch.miet_similarity.div(100); // [B,R]
  const ii = drinImageImageEdge(
    batch.mention_object_feature,
    batch.mention_object_score,
    batch.entity_object_feature,
    batch.entity_object_score,
    cosineEps,
  ); // [B,R]
  return [tt, ti, it, ii];
}
