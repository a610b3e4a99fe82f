/**
 * `nn.Linear` (`y = x Wᵀ + b`, W `[out, in]` as PyTorch stores it) and a batched matMul, with
 * hand-written gradients that use untransposed products only.
 *
 * Why hand-written: on the wasm backend (tfjs 4.22) a matMul with transposeA/transposeB, or a 3-D × 2-D
 * broadcast, runs 10–60× slower than a plain one (a [196,2048]·[2048,2048]ᵀ product: 2.4 s vs 0.27 s),
 * and tfjs's own MatMul gradient uses exactly those forms. Not tf.fused.matMul either: on wasm its
 * transposeB + bias path returns wrong values.
 *   y = x · Wᵀ + b        dx = dy · W        dW = dyᵀ · x        db = Σ_rows dy
 */
import * as tf from '@tensorflow/tfjs';
import { TorchParams, torchParam } from './params';

type GradSave = (tensors: tf.Tensor[]) => void;
const asCustom = <T>(f: T) => f as unknown as Parameters<typeof tf.customGrad>[0];

const linearBiasOp = tf.customGrad(
  asCustom((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: GradSave) => {
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, tf.transpose(w)), b), // [N, out]
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws!), tf.matMul(tf.transpose(dy), xs!), tf.sum(dy, 0)],
    };
  }),
) as unknown as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

const linearOp = tf.customGrad(
  asCustom((x: tf.Tensor2D, w: tf.Tensor2D, save: GradSave) => {
    save([x, w]);
    return {
      value: tf.matMul(x, tf.transpose(w)), // [N, out]
      gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, ws!), tf.matMul(tf.transpose(dy), xs!)],
    };
  }),
) as unknown as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

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
) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * Batched `a @ b` for inputs of the same rank and the same leading (batch) axes, e.g.
 * `[B, h, L, d] @ [B, h, d, M]` → `[B, h, L, M]`; forward and gradients use untransposed products only.
 */
export function torchBatchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank !== b.rank || a.shape.slice(0, -2).join(',') !== b.shape.slice(0, -2).join(',')) {
    throw new Error(`torchBatchMatMul: batch axes differ: [${a.shape}] @ [${b.shape}]`);
  }
  return batchMatMulOp(a, b);
}

/**
 * `nn.Linear`: `x @ Wᵀ + b` over the last axis.
 * `x` `[..., in]`, `weight` `[out, in]`, `bias` `[out]` → `[..., out]`.
 */
export function torchLinear(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.rank - 1] as number;
  if (weight.shape[1] !== inDim) {
    throw new Error(`torchLinear: input last axis is ${inDim} but weight is [${weight.shape}] (expected [out, ${inDim}])`);
  }
  const lead = x.shape.slice(0, -1);
  const x2 = x.reshape([-1, inDim]); // [N, in]
  const y = bias ? linearBiasOp(x2, weight, bias) : linearOp(x2, weight); // [N, out]
  return y.reshape([...lead, weight.shape[0] as number]);
}

/** `nn.Linear` by `state_dict` prefix: `<prefix>.weight` and, when present, `<prefix>.bias`. */
export function torchLinearAt(params: TorchParams, prefix: string, x: tf.Tensor): tf.Tensor {
  return torchLinear(x, torchParam(params, `${prefix}.weight`), params.get(`${prefix}.bias`));
}

/** DRIN's form: `y = x Wᵀ + b` with `<prefix>.weight` and `<prefix>.bias` (both required). */
export function drinLinear(x: tf.Tensor, params: TorchParams, prefix: string): tf.Tensor {
  return torchLinear(x, torchParam(params, `${prefix}.weight`), torchParam(params, `${prefix}.bias`));
}
