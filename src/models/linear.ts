/**
 * Linear layers the PyTorch way: weights stored `[out, in]`, `y = x Wᵀ + b`,
 * initialised like `nn.Linear.reset_parameters` (kaiming_uniform with a = √5, i.e.
 * U(−1/√in, 1/√in) for the weight, and the same bound for the bias).
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** A seeded uniform source in [0, 1). */
export type DrinRng = () => number;

/** A seeded generator (seedrandom's ARC4) for weight initialisation. */
export function drinRng(seed: number | string): DrinRng {
  return seedrandom(String(seed));
}

/** U(−bound, bound) values of `shape` drawn from `rng`. */
function uniform(shape: number[], bound: number, rng: DrinRng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng() * 2 - 1) * bound;
  return tf.tensor(data, shape, 'float32');
}

/**
 * Add `prefix.weight` `[out, in]` and `prefix.bias` `[out]` to `params`, PyTorch's default init.
 */
export function drinInitLinear(params: Map<string, tf.Variable>, prefix: string, inDim: number, outDim: number, rng: DrinRng): void {
  const bound = 1 / Math.sqrt(inDim);
  params.set(`${prefix}.weight`, tf.variable(uniform([outDim, inDim], bound, rng), true));
  params.set(`${prefix}.bias`, tf.variable(uniform([outDim], bound, rng), true));
}

/** Add LayerNorm parameters `prefix.weight` (ones) and `prefix.bias` (zeros) of size `dim`. */
export function drinInitLayerNorm(params: Map<string, tf.Variable>, prefix: string, dim: number): void {
  params.set(`${prefix}.weight`, tf.variable(tf.ones([dim]), true));
  params.set(`${prefix}.bias`, tf.variable(tf.zeros([dim]), true));
}

/** Look a parameter up, with an error naming the key when it is missing. */
export function drinParam(params: Map<string, tf.Variable>, key: string): tf.Variable {
  const p = params.get(key);
  if (!p) throw new Error(`missing parameter '${key}' (have: ${[...params.keys()].join(', ')})`);
  return p;
}

/**
 * `x Wᵀ + b` for x [N, in], W [out, in], b [out], with a hand-written gradient that only uses
 * untransposed matMuls: on the wasm backend (tfjs 4.22) a matMul with transposeA/transposeB runs
 * 10–60× slower than a plain one, and tfjs's own MatMul gradient uses both flags.
 *   y = x · Wᵀ + b        dx = dy · W        dW = dyᵀ · x        db = Σ_rows dy
 */
const linear2d: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D).add(b), // [N,out]
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved;
      const dx = tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D); // [N,in]
      const dw = tf.matMul(tf.transpose(dy) as tf.Tensor2D, xs as tf.Tensor2D); // [out,in]
      const db = dy.sum(0); // [out]
      return [dx, dw, db];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * `y = x Wᵀ + b` over the last axis of `x` (any rank ≥ 1), W `[out, in]` as PyTorch stores it.
 */
export function drinLinear(x: tf.Tensor, params: Map<string, tf.Variable>, prefix: string): tf.Tensor {
  const w = drinParam(params, `${prefix}.weight`);
  const b = drinParam(params, `${prefix}.bias`);
  const inDim = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  // not tf.fused.matMul: on the wasm backend (tfjs 4.22) its transposeB + bias path returns wrong values
  const y = linear2d(x.reshape([-1, inDim]), w, b); // [N, out]
  return y.reshape([...lead, w.shape[0]]);
}

/** LayerNorm over the last axis (biased variance, PyTorch semantics). */
export function drinLayerNorm(x: tf.Tensor, params: Map<string, tf.Variable>, prefix: string, eps: number): tf.Tensor {
  const axis = x.shape.length - 1;
  const { mean, variance } = tf.moments(x, axis, true);
  const normed = x.sub(mean).mul(variance.add(eps).rsqrt());
  return normed.mul(drinParam(params, `${prefix}.weight`)).add(drinParam(params, `${prefix}.bias`));
}

/**
 * erfc(z) for any z, from the Chebyshev fit of Numerical Recipes (`erfcc`): relative error < 1.2e-7
 * everywhere, i.e. as good as float32 allows. tfjs's own `erf` (Abramowitz–Stegun 7.1.26) has an
 * absolute error up to 1.5e-7, which shows up in DRIN's gradients at the 1e-9 level and, through
 * Adam's first step (≈ lr·g/(|g| + eps)), in parameters whose gradient is tiny.
 */
export function drinErfc(z: tf.Tensor): tf.Tensor {
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
export const drinGeluErf: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const cdf = drinErfc(x.mul(-Math.SQRT1_2)).mul(0.5); // Φ(x)
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

/** An activation by its PyTorch functional name (`gelu`, `relu`, `sigmoid`, `tanh`, `elu`, `selu`, `silu`, `leaky_relu`, `identity`). */
export function drinActivation(name: string): (x: tf.Tensor) => tf.Tensor {
  const n = name.trim().toLowerCase().replace(/\s*\(.*\)\s*$/, '');
  switch (n) {
    case 'gelu':
      return drinGeluErf;
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

/**
 * Cosine similarity over the last axis with PyTorch's eps (each norm clamped to ≥ eps).
 * Inputs broadcast against each other like `nn.CosineSimilarity(dim=-1)`.
 */
export function drinCosine(a: tf.Tensor, b: tf.Tensor, eps = 1e-8): tf.Tensor {
  return drinNormalize(a, eps).mul(drinNormalize(b, eps)).sum(-1);
}

/** `x / max(‖x‖, eps)` over the last axis (zero vectors map to zero, with finite gradients). */
export function drinNormalize(x: tf.Tensor, eps = 1e-8): tf.Tensor {
  // clamp the squared norm (not the norm) so a zero vector has a finite gradient
  const norm = x.square().sum(-1, true).maximum(eps * eps).sqrt();
  return x.div(norm);
}
