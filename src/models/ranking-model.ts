/**
 * What the training loop, loss, metrics, checkpoints and parity checks need from a model
 * (CONTRACTS §4). Every model (DRIN, GHMFC, MEL-HI, the zero-shot rankers) implements it; it depends
 * on tfjs only, so src/models imports nothing from src/train or src/data.
 */
import * as tf from '@tensorflow/tfjs';
import type { DeviceName } from '../device';
import type { FusedAdamState } from '../onnx/fused-adam';

export interface RankingModel {
  /** 'drin' | 'ghmfc' | ... */
  name: string;
  /** Where its training step runs, when it has a choice (DRIN: `ort` or `tfjs`). */
  engine?: string;
  /** The device it runs on, when the model resolved one (DRIN, GHMFC, MEL-HI: src/device.ts). */
  device?: DeviceName;
  /** Its engine and device and why, one line (the CLI prints it). */
  engineNote?: string;
  /** PyTorch state_dict keys → variables; Linear weights [out, in]. */
  params: Map<string, tf.Variable>;
  /**
   * Scores [B, R], last column = gold slot. Memory contract (test/unit/model-memory.test.ts): the returned
   * tensor is new and owned by the caller, who disposes it; the model releases every intermediate, and
   * the batch tensors stay the caller's. `lossAndGrads` and `extras` follow the same rule for what they
   * return (scores, gradients, extras: the caller's; parameters: the model's).
   */
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
  trainStepFused?(batch: Record<string, tf.Tensor>, margin: number, adam: FusedAdam): { loss: number; scores: tf.Tensor2D };
  /** Extra per-mention outputs for predictions (DRIN: `edges` [B, layers, 4]). */
  extras?(batch: Record<string, tf.Tensor>): Record<string, tf.Tensor>;
}

/**
 * What a fused engine needs from the optimizer (src/train/adam.ts `Adam` implements it): PyTorch Adam's
 * hyper-parameters, the step scalars, and each parameter's moments as host arrays [numel] in and out.
 * Declared once, beside the host side of the fused step (src/onnx/fused-adam.ts `FusedAdamState`).
 */
export type FusedAdam = FusedAdamState;
