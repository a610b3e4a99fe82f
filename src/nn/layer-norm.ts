/** `nn.LayerNorm` over the last axis: biased variance, eps inside the square root (torch 1.13). */
import * as tf from '@tensorflow/tfjs';
import { TorchParams, torchParam } from './params';

/** `(x − mean) / √(var + eps) · γ + β` over the last axis; `gamma`, `beta` `[D]`. */
export function torchLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(variance.add(eps).rsqrt()).mul(gamma).add(beta);
  });
}

/** `nn.LayerNorm` by `state_dict` prefix (`<prefix>.weight`, `<prefix>.bias`). */
export function torchLayerNormAt(params: TorchParams, prefix: string, x: tf.Tensor, eps = 1e-5): tf.Tensor {
  return torchLayerNorm(x, torchParam(params, `${prefix}.weight`), torchParam(params, `${prefix}.bias`), eps);
}

/** DRIN's argument order for `torchLayerNormAt`. */
export function drinLayerNorm(x: tf.Tensor, params: TorchParams, prefix: string, eps: number): tf.Tensor {
  return torchLayerNormAt(params, prefix, x, eps);
}
