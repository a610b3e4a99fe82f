/**
 * `torch.nn.MultiheadAttention` (batch_first=True), numerically as torch 1.13 computes it.
 *
 * B batch, Lq query positions, Lk key positions, E embed dim, h heads, d = E / h head dim.
 *
 * Weights, by `state_dict` key under a prefix:
 * - kdim == vdim == E: packed `in_proj_weight` `[3E, E]` (rows q; k; v) and `in_proj_bias` `[3E]`;
 * - otherwise separate `q_proj_weight` `[E, E]`, `k_proj_weight` `[E, kdim]`, `v_proj_weight`
 *   `[E, vdim]` and still one `in_proj_bias` `[3E]`;
 * - `out_proj.weight` `[E, E]`, `out_proj.bias` `[E]`.
 * Attention: softmax(q k^T / sqrt(d)) with masked keys at -inf, dropout on the weights
 * (training only), then the output projection.
 */
import * as tf from '@tensorflow/tfjs';
import { TorchParams, TorchRng, torchBatchMatMul, torchDropout, torchLinear, torchLinearInit, torchParam, torchXavierUniform } from '../nn';

/** Shape options of one attention block (the constructor arguments of `nn.MultiheadAttention`). */
export interface MhaConfig {
  /** Embedding (query and output) size E. */
  embedDim: number;
  /** Number of heads h; E must be divisible by h. */
  numHeads: number;
  /** Key size (default E). */
  kdim?: number;
  /** Value size (default E). */
  vdim?: number;
  /** Dropout on the attention weights when training (torch default 0). */
  dropout?: number;
}

function sameDims(c: MhaConfig): boolean {
  return (c.kdim ?? c.embedDim) === c.embedDim && (c.vdim ?? c.embedDim) === c.embedDim;
}

/** Create the weights of one `nn.MultiheadAttention` under `prefix`, initialised as PyTorch does. */
export function initMultiheadAttention(params: TorchParams, prefix: string, c: MhaConfig, rng?: TorchRng): void {
  const E = c.embedDim;
  if (E % c.numHeads !== 0) throw new Error(`MultiheadAttention ${prefix}: embed dim ${E} not divisible by ${c.numHeads} heads`);
  const v = (k: string, t: tf.Tensor) => params.set(`${prefix}.${k}`, tf.variable(t, true));
  if (sameDims(c)) {
    v('in_proj_weight', torchXavierUniform(3 * E, E, rng));
  } else {
    v('q_proj_weight', torchXavierUniform(E, E, rng));
    v('k_proj_weight', torchXavierUniform(E, c.kdim ?? E, rng));
    v('v_proj_weight', torchXavierUniform(E, c.vdim ?? E, rng));
  }
  v('in_proj_bias', tf.zeros([3 * E]));
  torchLinearInit(params, `${prefix}.out_proj`, E, E, false, rng);
  params.set(`${prefix}.out_proj.bias`, tf.variable(tf.zeros([E]), true));
}

/**
 * Multi-head attention forward, `need_weights=False`.
 *
 * `query` `[B, Lq, E]`, `key` `[B, Lk, kdim]`, `value` `[B, Lk, vdim]`,
 * `keyPaddingMask` `[B, Lk]` bool (true = ignore that key) or undefined → `[B, Lq, E]`.
 *
 * ```ts
 * const y = torchMultiheadAttention(params, 'attn', { embedDim: 32, numHeads: 8, kdim: 48, vdim: 48 }, q, k, k);
 * ```
 */
export function torchMultiheadAttention(
  params: TorchParams,
  prefix: string,
  c: MhaConfig,
  query: tf.Tensor,
  key: tf.Tensor,
  value: tf.Tensor,
  keyPaddingMask?: tf.Tensor,
  training = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    const E = c.embedDim;
    const h = c.numHeads;
    const d = E / h;
    const B = query.shape[0] as number;
    const Lq = query.shape[1] as number;
    const Lk = key.shape[1] as number;
    const bias = torchParam(params, `${prefix}.in_proj_bias`);
    const [bq, bk, bv] = tf.split(bias, 3); // 3 × [E]
    let wq: tf.Tensor, wk: tf.Tensor, wv: tf.Tensor;
    if (sameDims(c)) {
      [wq, wk, wv] = tf.split(torchParam(params, `${prefix}.in_proj_weight`), 3, 0); // 3 × [E, E]
    } else {
      wq = torchParam(params, `${prefix}.q_proj_weight`);
      wk = torchParam(params, `${prefix}.k_proj_weight`);
      wv = torchParam(params, `${prefix}.v_proj_weight`);
    }
    const heads = (x: tf.Tensor, L: number) => x.reshape([B, L, h, d]).transpose([0, 2, 1, 3]); // [B, h, L, d]
    const q = heads(tf.div(torchLinear(query, wq, bq), Math.sqrt(d)), Lq); // [B, h, Lq, d], scaled as torch
    const k = heads(torchLinear(key, wk, bk), Lk); // [B, h, Lk, d]
    const v = heads(torchLinear(value, wv, bv), Lk); // [B, h, Lk, d]
    let logits = torchBatchMatMul(q, k.transpose([0, 1, 3, 2])); // [B, h, Lq, d] @ [B, h, d, Lk] → [B, h, Lq, Lk]
    if (keyPaddingMask) {
      // as torch: the bool mask becomes an additive float mask (-inf where masked, 0 elsewhere)
      const m = keyPaddingMask.cast('bool').reshape([B, 1, 1, Lk]); // [B, 1, 1, Lk]
      logits = tf.add(logits, tf.where(m, tf.fill([B, 1, 1, Lk], -Infinity), tf.zeros([B, 1, 1, Lk]))); // broadcast over h, Lq
    }
    const attn = torchDropout(tf.softmax(logits, -1), c.dropout ?? 0, training); // [B, h, Lq, Lk]
    const out = torchBatchMatMul(attn, v).transpose([0, 2, 1, 3]).reshape([B, Lq, E]); // [B, Lq, E]
    return torchLinear(out, torchParam(params, `${prefix}.out_proj.weight`), torchParam(params, `${prefix}.out_proj.bias`)) as tf.Tensor3D;
  });
}
