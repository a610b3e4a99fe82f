/**
 * Adam inside the graph (twin of src/train/adam.ts, PyTorch's rule). For a parameter `key` with gradient
 * grad, the graph reads its moments `adam.m:<key>`, `adam.v:<key>` (its shape) and the scalars
 * `adam.step_size:<key>` = lr / (1 − β1^t) and `adam.bc2_sqrt:<key>` = √(1 − β2^t), and outputs
 * `next:<key>`, `next.m:<key>`, `next.v:<key>`:
 *   m' = β1 m + (1 − β1) grad    v' = β2 v + (1 − β2) grad²    p' = p − (m' / (√v' / bc2_sqrt + eps)) · step_size
 * The same op order as adam.ts, so the same float32 numbers. No backward: this is the update itself.
 */
import { DrinOps, Value } from './ops';

/** Adam's constants (the per-step scalars are graph inputs). */
export interface DrinGraphAdam {
  beta1: number;
  beta2: number;
  eps: number;
}

/** Declare the Adam inputs of parameter `key` (value `param`, shape `dims`) and output its update. */
export function adamUpdate(ops: DrinOps, adam: DrinGraphAdam, key: string, param: Value, grad: Value, dims: number[]): void {
  const { graph } = ops;
  const { beta1, beta2, eps } = adam;
  const m = ops.add(ops.mul(graph.input(`adam.m:${key}`, dims), graph.constF([beta1])), ops.mul(grad, graph.constF([1 - beta1])));
  const v = ops.add(ops.mul(graph.input(`adam.v:${key}`, dims), graph.constF([beta2])), ops.mul(ops.mul(grad, grad), graph.constF([1 - beta2])));
  const denom = ops.add(ops.div(ops.sqrt(v), graph.input(`adam.bc2_sqrt:${key}`, [])), graph.constF([eps]));
  graph.output(`next:${key}`, ops.sub(param, ops.mul(ops.div(m, denom), graph.input(`adam.step_size:${key}`, []))), dims);
  graph.output(`next.m:${key}`, m, dims);
  graph.output(`next.v:${key}`, v, dims);
}
