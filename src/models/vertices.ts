/**
 * DRIN's four vertex types (paper §3.2): mention text, mention image, entity text, entity image.
 *
 * B batch, R candidate slots (C + 1, last = gold), T mention tokens, L entity tokens,
 * Dt BERT size, Di ResNet size, Rg image regions, D GCN size.
 */
import * as tf from '@tensorflow/tfjs';
import { drinLinear } from '../nn';

/** A batch: fixture / CONTRACTS §3 names → tensors. */
export type DrinBatch = Record<string, tf.Tensor>;

/** Check that the batch has every tensor DRIN reads, with an error naming the missing ones. */
export function drinCheckBatch(batch: DrinBatch): void {
  const need = [
    'mention_text_feature',
    'mention_start_pos',
    'mention_end_pos',
    'mention_image_feature',
    'mention_object_feature',
    'mention_object_score',
    'entity_image_feature',
    'entity_object_feature',
    'entity_object_score',
    'miet_similarity',
    'mtei_similarity',
  ];
  const missing = need.filter((k) => !batch[k]);
  if (missing.length) throw new Error(`DRIN batch is missing ${missing.join(', ')} (CONTRACTS §3)`);
}

/** Parameter prefixes of the four vertex encoders (PyTorch state_dict names). */
export const DRIN_VERTEX_KEYS = {
  mentionText: 'vertex_encoder.mention_text_encoder.final_layer.linear',
  entityText: 'vertex_encoder.entity_text_encoder.final_layer',
  mentionImage: 'vertex_encoder.mention_image_linear',
  entityImage: 'vertex_encoder.entity_image_linear',
} as const;

/**
 * Mean of the mention's token features over [start, end) (positions already shifted +1 for CLS),
 * as the reference's `Avg.avg`. feature [B,T,Dt], start/end [B] → [B,Dt].
 */
export function drinMentionSpanMean(feature: tf.Tensor, start: tf.Tensor, end: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [B, T] = feature.shape;
    const weights = drinMentionSpanWeights(T, start, end).reshape([B, 1, T]); // [B,1,T]
    return tf.matMul(weights, feature).reshape([B, feature.shape[2]!]) as tf.Tensor2D; // [B,Dt]
  });
}

/** The span mean's weights [B,T]: 1/(end − start) on [start, end), else 0. start/end [B]. */
export function drinMentionSpanWeights(T: number, start: tf.Tensor, end: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const B = start.shape[0];
    const pos = tf.range(0, T, 1, 'int32').reshape([1, T]); // [1,T]
    const s = start.toInt().reshape([B, 1]);
    const e = end.toInt().reshape([B, 1]);
    const inSpan = tf.logicalAnd(pos.greaterEqual(s), pos.less(e)).toFloat(); // [B,T]
    return inSpan.div(e.sub(s).toFloat()) as tf.Tensor2D; // [B,T]
  });
}

/**
 * Reduce WikiMEL entity token features to what DRIN uses (CONTRACTS §3):
 * `pooled` = mean of tokens 1..n−2 (n = number of mask ones; CLS and SEP left out, as the reference's
 * `seq[1 : n - 1]`) and `cls` = token 0. feature [..., L, Dt], mask [..., L] → two [..., Dt].
 * The data cache and the model both use this function, so both forms give identical results.
 */
export function reduceEntityText(feature: tf.Tensor, mask: tf.Tensor): { pooled: tf.Tensor; cls: tf.Tensor } {
  return tf.tidy(() => {
    const lead = feature.shape.slice(0, -2);
    const [L, Dt] = feature.shape.slice(-2);
    if (mask.shape.length !== lead.length + 1 || mask.shape[mask.shape.length - 1] !== L)
      throw new Error(`reduceEntityText: mask shape [${mask.shape}] does not fit feature shape [${feature.shape}]`);
    const x = feature.reshape([-1, L, Dt]); // [N,L,Dt]
    const N = x.shape[0];
    const n = mask.reshape([N, L]).toFloat().sum(-1, true); // [N,1]
    const pos = tf.range(0, L, 1, 'float32').reshape([1, L]); // [1,L]
    const inside = tf.logicalAnd(pos.greaterEqual(1), pos.less(n.sub(1))).toFloat(); // [N,L]
    const weights = inside.div(n.sub(2)).reshape([N, 1, L]); // [N,1,L]
    const pooled = tf.matMul(weights, x).reshape([...lead, Dt]); // [...,Dt]
    const cls = x.slice([0, 0, 0], [N, 1, Dt]).reshape([...lead, Dt]); // [...,Dt]
    return { pooled, cls };
  });
}

/**
 * The entity text inputs DRIN needs, from any batch form: `vector` feeds the entity-text vertex,
 * `raw` feeds the text–text edge. WikiDiverse: both are the pre-pooled feature [B,R,Dt];
 * WikiMEL: the token mean and the CLS token; memory-saving form: `entity_text_pooled` / `entity_text_cls`.
 */
export function drinEntityTextInputs(batch: DrinBatch): { vector: tf.Tensor; raw: tf.Tensor } {
  if (batch.entity_text_pooled) {
    const cls = batch.entity_text_cls;
    if (!cls) throw new Error('batch has entity_text_pooled but no entity_text_cls (CONTRACTS §3: both come together)');
    return { vector: batch.entity_text_pooled, raw: cls };
  }
  const f = batch.entity_text_feature;
  if (!f) throw new Error('batch has neither entity_text_feature nor entity_text_pooled');
  if (f.shape.length === 3) return { vector: f, raw: f }; // WikiDiverse [B,R,Dt]
  if (f.shape.length === 4) {
    const { pooled, cls } = reduceEntityText(f, batch.entity_text_mask); // [B,R,Dt] each
    return { vector: pooled, raw: cls };
  }
  throw new Error(`entity_text_feature: expected [B,R,Dt] or [B,R,L,Dt], got [${f.shape}]`);
}

/** Average over the second-to-last axis when `x` has `rank` dimensions (the reference's `mean(dim=-2)`). */
export function drinMeanAxisIfRank(x: tf.Tensor, rank: number): tf.Tensor {
  return x.shape.length === rank ? x.mean(-2) : x;
}

/** The four vertices. mt [B,D], mi [B,D], et [B,R,D], ei [B,R,D]. */
export interface DrinVertices {
  mt: tf.Tensor;
  mi: tf.Tensor;
  et: tf.Tensor;
  ei: tf.Tensor;
}

/**
 * Encode the vertices: a Linear on the mention span mean, on the mean over image regions,
 * on the entity text vector and on the entity image feature (mean over its singleton axis first).
 */
export function drinEncodeVertices(
  params: Map<string, tf.Variable>,
  spanMean: tf.Tensor, // [B,Dt]
  entityTextVector: tf.Tensor, // [B,R,Dt]
  batch: DrinBatch,
): DrinVertices {
  const mt = drinLinear(spanMean, params, DRIN_VERTEX_KEYS.mentionText); // [B,D]
  const mi = drinLinear(batch.mention_image_feature.mean(-2), params, DRIN_VERTEX_KEYS.mentionImage); // [B,Rg,Di] → [B,D]
  const et = drinLinear(entityTextVector, params, DRIN_VERTEX_KEYS.entityText); // [B,R,D]
  const ei = drinLinear(drinMeanAxisIfRank(batch.entity_image_feature, 4), params, DRIN_VERTEX_KEYS.entityImage); // [B,R,(1,)Di] → [B,R,D]
  return { mt, mi, et, ei };
}
