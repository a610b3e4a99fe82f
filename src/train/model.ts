/**
 * What the training loop, loss, metrics, checkpoints and parity checks need from a model (CONTRACTS §4).
 */
import * as tf from '@tensorflow/tfjs';
import type { Adam } from './adam';

/** A batch: CONTRACTS §3 names → tensors, plus `index` (row numbers in the split) when it comes from a dataset. */
export interface RankingBatch {
  [name: string]: tf.Tensor | number[] | undefined;
  index?: number[];
}

/** The tensors of a batch (drops `index` and anything that is not a tensor). */
export function batchTensors(batch: RankingBatch): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(batch)) if (v instanceof tf.Tensor) out[k] = v;
  return out;
}

/** Dispose every tensor of a batch. */
export function disposeBatch(batch: RankingBatch): void {
  for (const v of Object.values(batch)) if (v instanceof tf.Tensor) v.dispose();
}

export interface RankingModel {
  /** 'drin' | 'ghmfc' | ... */
  name: string;
  /** Where its training step runs, when it has a choice (DRIN: `ort` or `tfjs`). */
  engine?: string;
  /** PyTorch state_dict keys → variables; Linear weights [out, in]. */
  params: Map<string, tf.Variable>;
  /** Scores [B, R], last column = gold slot. */
  scores(batch: Record<string, tf.Tensor>, opts?: { training?: boolean }): tf.Tensor2D;
  /**
   * Loss, scores and gradients in one call, for models with a fused engine (DRIN's `ort` engine);
   * without it the training step and the parity check use `tf.variableGrads` over `scores`.
   */
  lossAndGrads?(batch: Record<string, tf.Tensor>, margin: number): { loss: number; scores: tf.Tensor2D; grads: Map<string, tf.Tensor> };
  /**
   * A whole training step with the optimizer inside the engine (DRIN's `ort` engine): loss and scores
   * [B,R] before the update; the parameters and `adam`'s state are updated in place.
   */
  trainStepFused?(batch: Record<string, tf.Tensor>, margin: number, adam: Adam): { loss: number; scores: tf.Tensor2D };
  /** Extra per-mention outputs for predictions (DRIN: `edges` [B, layers, 4]). */
  extras?(batch: Record<string, tf.Tensor>): Record<string, tf.Tensor>;
}
