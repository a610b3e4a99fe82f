/**
 * What the training loop, loss, metrics, checkpoints and parity checks need from a model (CONTRACTS §4).
 */
import * as tf from '@tensorflow/tfjs';


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

/** The interface every model implements (src/models/ranking-model.ts; re-exported here for the loop's readers). */
export type { RankingModel } from '../models/ranking-model';
