/**
 * `nn.CosineSimilarity(dim=-1, eps)` as torch 1.13 computes it (this formula, evaluated with torch's own
 * ops, equals torch's result bit for bit; here in tfjs it agrees to float32 rounding, ≤ 2e-7 in value, on
 * test/fixtures/torch-nn, test/unit/nn-torch.test.ts):
 *
 *   cos(x, y) = Σ (x / ‖x‖ₑ) · (y / ‖y‖ₑ)      ‖x‖ₑ = √max(Σ x², eps²)
 *
 * Each squared norm is clamped on its own (not the product |x|²|y|², an older formula that gives other
 * numbers when one vector is short), and torch clamps in place where autograd does not see it: the
 * gradient flows through the clamp as if it were the identity, with the square root's derivative taken
 * at the clamped value. `clampStraightThrough` reproduces that, so zero and sub-eps vectors get torch's
 * values and gradients too.
 */
import * as tf from '@tensorflow/tfjs';

/** max(s, floor) in the forward pass, identity in the backward pass (torch's in-place clamp_min_). */
function clampStraightThrough(s: tf.Tensor, floor: number): tf.Tensor {
  const op = tf.customGrad(((v: tf.Tensor) => ({ value: v.maximum(floor), gradFunc: (dy: tf.Tensor) => dy })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (op as unknown as (v: tf.Tensor) => tf.Tensor)(s);
}

/** `x / √max(‖x‖², eps²)` over the last axis (a zero vector maps to zero). */
export function torchNormalize(x: tf.Tensor, eps = 1e-8): tf.Tensor {
  return x.div(clampStraightThrough(x.square().sum(-1, true), eps * eps).sqrt());
}

/** Cosine similarity over the last axis; inputs broadcast against each other (`[B,1,D]` with `[B,R,D]` → `[B,R]`). */
export function torchCosineSimilarity(x: tf.Tensor, y: tf.Tensor, eps = 1e-8): tf.Tensor {
  return torchNormalize(x, eps).mul(torchNormalize(y, eps)).sum(-1);
}

/** DRIN's names for `torchCosineSimilarity` and `torchNormalize`. */
export const drinCosine = torchCosineSimilarity;
export const drinNormalize = torchNormalize;
