/**
 * `torch.nn.TransformerEncoderLayer` (batch_first=True, norm_first=False, torch 1.13) and a stack
 * of them as `nn.TransformerEncoder`.
 *
 * B batch, T tokens, D model size, F feed-forward size.
 *
 * Post-norm layer: x = LN1(x + Dropout(SelfAttn(x))); x = LN2(x + Dropout(W2 Dropout(act(W1 x)))).
 * Keys under `<prefix>.layers.<n>`: `self_attn.*` (packed MHA), `linear1.*` `[F, D]`,
 * `linear2.*` `[D, F]`, `norm1.*`, `norm2.*`.
 */
import * as tf from '@tensorflow/tfjs';
import { initMultiheadAttention, torchMultiheadAttention } from './multihead-attention';
import {
  TorchParams,
  TorchRng,
  torchActivation,
  torchDropout,
  torchLayerNormAt,
  torchLayerNormInit,
  torchLinearAt,
  torchLinearInit,
} from '../nn';

/** Constructor arguments of `nn.TransformerEncoder(nn.TransformerEncoderLayer(...), numLayers)`. */
export interface TransformerEncoderConfig {
  /** d_model D. */
  dim: number;
  numHeads: number;
  /** dim_feedforward F. */
  ffnDim: number;
  /** Dropout in attention, after attention and in the feed-forward block (training only). */
  dropout: number;
  /** 'gelu' (exact) or 'relu'. */
  activation: string;
  numLayers: number;
  layerNormEps?: number;
}

/** Create the weights of `numLayers` encoder layers under `<prefix>.layers.<n>`. */
export function initTransformerEncoder(params: TorchParams, prefix: string, c: TransformerEncoderConfig, rng?: TorchRng): void {
  for (let n = 0; n < c.numLayers; n++) {
    const p = `${prefix}.layers.${n}`;
    initMultiheadAttention(params, `${p}.self_attn`, { embedDim: c.dim, numHeads: c.numHeads }, rng);
    torchLinearInit(params, `${p}.linear1`, c.dim, c.ffnDim, true, rng);
    torchLinearInit(params, `${p}.linear2`, c.ffnDim, c.dim, true, rng);
    torchLayerNormInit(params, `${p}.norm1`, c.dim);
    torchLayerNormInit(params, `${p}.norm2`, c.dim);
  }
}

/**
 * One post-norm encoder layer. `x` `[B, T, D]`, `keyPaddingMask` `[B, T]` bool (true = padding) → `[B, T, D]`.
 */
export function torchTransformerEncoderLayer(
  params: TorchParams,
  prefix: string,
  c: TransformerEncoderConfig,
  x: tf.Tensor3D,
  keyPaddingMask?: tf.Tensor,
  training = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    const eps = c.layerNormEps ?? 1e-5;
    const act = torchActivation(c.activation);
    const mha = { embedDim: c.dim, numHeads: c.numHeads, dropout: c.dropout };
    const sa = torchMultiheadAttention(params, `${prefix}.self_attn`, mha, x, x, x, keyPaddingMask, training); // [B, T, D]
    const x1 = torchLayerNormAt(params, `${prefix}.norm1`, tf.add(x, torchDropout(sa, c.dropout, training)), eps);
    const hidden = torchDropout(act(torchLinearAt(params, `${prefix}.linear1`, x1)), c.dropout, training); // [B, T, F]
    const ff = torchDropout(torchLinearAt(params, `${prefix}.linear2`, hidden), c.dropout, training); // [B, T, D]
    return torchLayerNormAt(params, `${prefix}.norm2`, tf.add(x1, ff), eps) as tf.Tensor3D;
  });
}

/** `nn.TransformerEncoder`: the layers in order (no final norm). Shapes as the layer. */
export function torchTransformerEncoder(
  params: TorchParams,
  prefix: string,
  c: TransformerEncoderConfig,
  x: tf.Tensor3D,
  keyPaddingMask?: tf.Tensor,
  training = false,
): tf.Tensor3D {
  return tf.tidy(() => {
    let y = x;
    for (let n = 0; n < c.numLayers; n++) {
      y = torchTransformerEncoderLayer(params, `${prefix}.layers.${n}`, c, y, keyPaddingMask, training);
    }
    return y;
  });
}
