/**
 * Activations by PyTorch functional name, and the exact (erf) GELU.
 *
 * The erf question, settled against torch 1.13 (test/unit/nn-torch.test.ts, values from
 * test/fixtures/torch-nn/make_torch_nn.py): torch computes `x/2 · (1 + erf(x/√2))` in float32. Both
 * tfjs's `tf.erf` (Abramowitz–Stegun 7.1.26, absolute error up to 1.5e-7) and the Numerical Recipes
 * erfc below (relative error < 1.2e-7) agree with it to ≤ 3e-7 in value and gradient on [−8, 8]; they
 * differ in the far negative tail, where torch's `1 + erf` rounds to 0 and erfc keeps the tiny value.
 * We keep erfc: it is backend-independent (tfjs's wasm and cpu `erf` kernels differ by up to 2e-7) and
 * DRIN's Adam-step parity needs its accuracy on parameters whose gradient is tiny (see environment.md).
 */
import * as tf from '@tensorflow/tfjs';

/**
 * erfc(z) for any z, from the Chebyshev fit of Numerical Recipes (`erfcc`): relative error < 1.2e-7
 * everywhere, i.e. as good as float32 allows.
 */
export function torchErfc(z: tf.Tensor): tf.Tensor {
  const a = z.abs();
  const t = tf.scalar(1).div(a.mul(0.5).add(1));
  const c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
  let poly: tf.Tensor = tf.scalar(c[9]);
  for (let i = 8; i >= 0; i--) poly = poly.mul(t).add(c[i]);
  const r = t.mul(tf.exp(a.square().neg().add(poly))); // erfc(|z|)
  return tf.where(z.greaterEqual(0), r, tf.scalar(2).sub(r));
}

/**
 * Exact (erf) GELU, as `torch.nn.functional.gelu` by default: x·Φ(x) with Φ(x) = erfc(−x/√2)/2,
 * and its exact derivative Φ(x) + x·φ(x) as the gradient.
 */
export const torchGelu: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const cdf = torchErfc(x.mul(-Math.SQRT1_2)).mul(0.5); // Φ(x)
  save([x, cdf]);
  return {
    value: x.mul(cdf),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, phi] = saved;
      const pdf = tf.exp(xs.square().mul(-0.5)).mul(1 / Math.sqrt(2 * Math.PI)); // φ(x)
      return dy.mul(phi.add(xs.mul(pdf)));
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** DRIN's names for `torchErfc` and `torchGelu`. */
export const drinErfc = torchErfc;
export const drinGeluErf = torchGelu;

/**
 * An activation by its PyTorch functional name: `gelu` (exact erf), `relu`, `sigmoid`, `tanh`, `elu`,
 * `selu`, `silu`, `leaky_relu`, `identity`. A parenthesised note is ignored (`'gelu (exact, erf)'`).
 * @throws naming the allowed names.
 */
export function torchActivation(name: string): (x: tf.Tensor) => tf.Tensor {
  const n = name.trim().toLowerCase().replace(/\s*\(.*\)\s*$/, '');
  switch (n) {
    case 'gelu':
      return torchGelu;
    case 'relu':
      return (x) => tf.relu(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'elu':
      return (x) => tf.elu(x);
    case 'selu':
      return (x) => tf.selu(x);
    case 'silu':
      return (x) => x.mul(tf.sigmoid(x));
    case 'leaky_relu':
      return (x) => tf.leakyRelu(x, 0.01);
    case 'identity':
    case 'none':
      return (x) => x;
    default:
      throw new Error(`unknown activation '${name}' (expected gelu, relu, sigmoid, tanh, elu, selu, silu, leaky_relu, identity)`);
  }
}

/** DRIN's name for `torchActivation`. */
export const drinActivation = torchActivation;
