/**
 * PyTorch's default initialisers, drawn from a seeded generator so that the same seed gives the same
 * weights: `nn.Linear` (U(−1/√in, 1/√in) for weight and bias, i.e. kaiming_uniform with a = √5),
 * `nn.LayerNorm` (ones, zeros), `nn.init.xavier_uniform_`.
 */
import * as tf from '@tensorflow/tfjs';
import { seededRandom, SeededRandom } from '../random';
import { TorchParams } from './params';

/** A seeded uniform [0, 1) generator for weight initialisation. */
export type TorchRng = SeededRandom;
/** DRIN's name for the same generator type. */
export type DrinRng = SeededRandom;

/** Seeded generator; the same seed gives the same weights. */
export function torchRng(seed: number | string = 0): TorchRng {
  return seededRandom(seed);
}

/** DRIN's name for `torchRng`. */
export const drinRng = torchRng;

const fallbackRng: TorchRng = torchRng('torch-nn');

/** U(−bound, bound) of `shape`, drawn from `rng` (a shared seeded generator when omitted). */
export function torchUniform(shape: number[], bound: number, rng: TorchRng = fallbackRng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng() * 2 - 1) * bound;
  return tf.tensor(data, shape, 'float32');
}

/** PyTorch's default `nn.Linear` init: `prefix.weight` [out, in] and `prefix.bias` [out] ~ U(−1/√in, 1/√in). */
export function torchLinearInit(params: TorchParams, prefix: string, inDim: number, outDim: number, bias = true, rng?: TorchRng): void {
  const bound = 1 / Math.sqrt(inDim);
  params.set(`${prefix}.weight`, tf.variable(torchUniform([outDim, inDim], bound, rng), true));
  if (bias) params.set(`${prefix}.bias`, tf.variable(torchUniform([outDim], bound, rng), true));
}

/** DRIN's form of `torchLinearInit` (always with a bias). */
export function drinInitLinear(params: TorchParams, prefix: string, inDim: number, outDim: number, rng: TorchRng): void {
  torchLinearInit(params, prefix, inDim, outDim, true, rng);
}

/** `nn.LayerNorm` init: `prefix.weight` ones, `prefix.bias` zeros, of size `dim`. */
export function torchLayerNormInit(params: TorchParams, prefix: string, dim: number): void {
  params.set(`${prefix}.weight`, tf.variable(tf.ones([dim]), true));
  params.set(`${prefix}.bias`, tf.variable(tf.zeros([dim]), true));
}

/** DRIN's name for `torchLayerNormInit`. */
export const drinInitLayerNorm = torchLayerNormInit;

/** Xavier-uniform `[rows, cols]` as `nn.init.xavier_uniform_` (fan_in = cols, fan_out = rows). */
export function torchXavierUniform(rows: number, cols: number, rng?: TorchRng): tf.Tensor {
  return torchUniform([rows, cols], Math.sqrt(6 / (rows + cols)), rng);
}
