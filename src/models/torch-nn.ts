/**
 * Small PyTorch `nn` building blocks, written so that they give PyTorch's numbers
 * (torch 1.13 formulas): Linear, LayerNorm, exact (erf) GELU, CosineSimilarity, dropout,
 * and PyTorch's default initialisers. Used by the baseline models (notebook 05).
 *
 * Weights follow PyTorch's `state_dict` layout: a Linear weight is `[out, in]`.
 */
import * as tf from '@tensorflow/tfjs';
import seedrandom from 'seedrandom';

/** A named set of trainable weights, keyed by PyTorch `state_dict` keys. */
export type TorchParams = Map<string, tf.Variable>;

/** Look a weight up by key; throws naming the key and the keys that exist under the prefix. */
export function torchParam(params: TorchParams, key: string): tf.Variable {
  const v = params.get(key);
  if (!v) {
    const prefix = key.split('.').slice(0, -1).join('.');
    const near = [...params.keys()].filter((k) => k.startsWith(prefix)).slice(0, 8);
    throw new Error(`missing weight '${key}' (keys under '${prefix}': ${near.join(', ') || 'none'})`);
  }
  return v;
}

type GradSave = (tensors: tf.Tensor[]) => void;
const asCustom = <T>(f: T) => f as unknown as Parameters<typeof tf.customGrad>[0];

// Every matMul here is untransposed: on the wasm backend (tfjs 4.22) transposeA/transposeB and a 3-D × 2-D
// broadcast run 10-40x slower (a [196,2048]·[2048,2048]^T product: 2.4 s vs 0.27 s), and a matMul's own
// gradient uses exactly those forms. So the gradients below transpose explicitly, then multiply.
const linearBiasOp = tf.customGrad(
  asCustom((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: GradSave) => {
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, tf.transpose(w)), b), // [N, out]
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws!), tf.matMul(tf.transpose(dy), xs!), tf.sum(dy, 0)],
    };
  }),
);
const linearOp = tf.customGrad(
  asCustom((x: tf.Tensor2D, w: tf.Tensor2D, save: GradSave) => {
    save([x, w]);
    return {
      value: tf.matMul(x, tf.transpose(w)), // [N, out]
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws!), tf.matMul(tf.transpose(dy), xs!)],
    };
  }),
);

function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1]!, perm[t.rank - 2]!];
  return tf.transpose(t, perm);
}

const batchMatMulOp = tf.customGrad(
  asCustom((a: tf.Tensor, b: tf.Tensor, save: GradSave) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: tf.Tensor, [as, bs]: tf.Tensor[]) => [tf.matMul(dy, swapLast(bs!)), tf.matMul(swapLast(as!), dy)],
    };
  }),
);

/**
 * Batched `a @ b` for inputs of the same rank and the same leading (batch) axes, e.g.
 * `[B, h, L, d] @ [B, h, d, M]` → `[B, h, L, M]`; forward and gradients use untransposed products only.
 */
export function torchBatchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || a.shape.slice(0, -2).join(',') !== b.shape.slice(0, -2).join(',')) {
    throw new Error(`torchBatchMatMul: batch axes differ: [${a.shape}] @ [${b.shape}]`);
  }
  return (batchMatMulOp as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(a, b);
}

/**
 * `nn.Linear`: `x @ W^T + b` over the last axis.
 * `x` `[..., in]`, `weight` `[out, in]`, `bias` `[out]` → `[..., out]`.
 */
export function torchLinear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1] as number;
  if (weight.shape[1] !== inDim) {
    throw new Error(`torchLinear: input last axis is ${inDim} but weight is [${weight.shape}] (expected [out, ${inDim}])`);
  }
  const lead = x.shape.slice(0, -1);
  const x2 = x.reshape([-1, inDim]); // [N, in]
  const y = bias
    ? (linearBiasOp as unknown as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x2, weight, bias)
    : (linearOp as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(x2, weight); // [N, out]
  return y.reshape([...lead, weight.shape[0] as number]);
}

/** `nn.Linear` by `state_dict` prefix: uses `<prefix>.weight` and `<prefix>.bias`. */
export function torchLinearAt(params: TorchParams, prefix: string, x: tf.Tensor): tf.Tensor {
  return torchLinear(x, torchParam(params, `${prefix}.weight`), params.get(`${prefix}.bias`));
}

/** `nn.LayerNorm` over the last axis (biased variance, eps inside the square root). */
export function torchLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  });
}

/** `nn.LayerNorm` by `state_dict` prefix. */
export function torchLayerNormAt(params: TorchParams, prefix: string, x: tf.Tensor, eps = 1e-5): tf.Tensor {
  return torchLayerNorm(x, torchParam(params, `${prefix}.weight`), torchParam(params, `${prefix}.bias`), eps);
}

/** Exact GELU as `F.gelu` (approximate='none'): `x/2 * (1 + erf(x / sqrt 2))`. */
export function torchGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** Activation by PyTorch functional name (`gelu` exact, `relu`, `tanh`, `sigmoid`). */
export function torchActivation(name: string): (x: tf.Tensor) => tf.Tensor {
  switch (name.split(' ')[0]) {
    case 'gelu':
      return torchGelu;
    case 'relu':
      return (x) => tf.relu(x);
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    default:
      throw new Error(`unknown activation '${name}' (expected gelu, relu, tanh or sigmoid)`);
  }
}

/**
 * `nn.CosineSimilarity(dim=-1, eps)` as torch 1.13 computes it:
 * `x·y / sqrt(clamp_min(|x|² |y|², eps²))`. Inputs broadcast against each other.
 */
export function torchCosineSimilarity(x: tf.Tensor, y: tf.Tensor, eps = 1e-8): tf.Tensor {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(x, y), -1);
    const n2 = tf.mul(tf.sum(tf.square(x), -1), tf.sum(tf.square(y), -1));
    return tf.div(dot, tf.sqrt(tf.maximum(n2, eps * eps)));
  });
}

let dropoutRng = seedrandom('torch-dropout');

/** Re-seed the dropout masks (each call draws its mask seed from this stream), for reproducible training runs. */
export function torchDropoutSeed(seed: number | string): void {
  dropoutRng = seedrandom(`torch-dropout-${seed}`);
}

/** Inverted dropout as `nn.Dropout` in training mode; identity when not training or rate 0. */
export function torchDropout(x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
  return training && rate > 0 ? tf.dropout(x, rate, undefined, Math.floor(dropoutRng() * 2 ** 31)) : x;
}

/** A seeded uniform [0, 1) generator for weight initialisation (reproducible runs). */
export type TorchRng = () => number;

/** Seeded generator; the same seed gives the same weights. */
export function torchRng(seed: number | string = 0): TorchRng {
  return seedrandom(String(seed));
}

let fallbackRng: TorchRng = torchRng('torch-nn');

/** U(-bound, bound) of `shape`, drawn from `rng` (a shared seeded generator when omitted). */
export function torchUniform(shape: number[], bound: number, rng: TorchRng = fallbackRng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng() * 2 - 1) * bound;
  return tf.tensor(data, shape, 'float32');
}

/** PyTorch's default `nn.Linear` init: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)). */
export function torchLinearInit(params: TorchParams, prefix: string, inDim: number, outDim: number, bias = true, rng?: TorchRng): void {
  const bound = 1 / Math.sqrt(inDim);
  params.set(`${prefix}.weight`, tf.variable(torchUniform([outDim, inDim], bound, rng), true));
  if (bias) params.set(`${prefix}.bias`, tf.variable(torchUniform([outDim], bound, rng), true));
}

/** `nn.LayerNorm` init: weight 1, bias 0. */
export function torchLayerNormInit(params: TorchParams, prefix: string, dim: number): void {
  params.set(`${prefix}.weight`, tf.variable(tf.ones([dim]), true));
  params.set(`${prefix}.bias`, tf.variable(tf.zeros([dim]), true));
}

/** Xavier-uniform `[rows, cols]` as `nn.init.xavier_uniform_` (fan_in = cols, fan_out = rows). */
export function torchXavierUniform(rows: number, cols: number, rng?: TorchRng): tf.Tensor {
  return torchUniform([rows, cols], Math.sqrt(6 / (rows + cols)), rng);
}

/** Replace the values of `params` by those in `values` (same keys, same shapes); throws on mismatch. */
export function torchLoadParams(params: TorchParams, values: Map<string, tf.Tensor> | Record<string, tf.Tensor>): void {
  const get = (k: string) => (values instanceof Map ? values.get(k) : values[k]);
  for (const [k, v] of params) {
    const t = get(k);
    if (!t) throw new Error(`weights: no value for '${k}'`);
    if (t.shape.join(',') !== v.shape.join(',')) {
      throw new Error(`weights: '${k}' has shape [${t.shape}], model expects [${v.shape}]`);
    }
    v.assign(t.dtype === 'float32' ? t : t.cast('float32'));
  }
}
