/**
 * The reference's triplet loss (common/loss_metric.py `TripletLoss`), vectorised.
 *
 * B batch, C candidates, R = C + 1 slots (the last holds the gold entity and is dropped).
 *
 *   loss = 1/B Σ_i mean_{b,c} max(0, s[b,c] − s_gold(i) + margin)
 *
 * Each anchor i's positive score s_gold(i) (0 when its gold is not among the candidates) is compared
 * with every candidate of every mention in the batch, the anchor's own row (and its own positive) included.
 */
import * as tf from '@tensorflow/tfjs';

/** Triplet loss (scalar) from scores [B,R] (or [B,C]) and one-hot labels [B,C]. */
export function tripletLoss(scores: tf.Tensor, onehot: tf.Tensor, margin = 0.25): tf.Scalar {
  return tf.tidy(() => {
    const [B, C] = onehot.shape as [number, number];
    const s = scores.shape[1] === C ? scores : scores.slice([0, 0], [B, C]); // [B,C], gold slot dropped
    const positive = s.mul(onehot.toFloat()).sum(-1); // [B] score of the gold candidate, 0 when absent
    const hinge = tf.relu(s.reshape([1, B, C]).sub(positive.reshape([B, 1, 1])).add(margin)); // [B(anchor),B,C]
    return hinge.mean() as tf.Scalar; // = 1/B Σ_i mean_{b,c}
  });
}
