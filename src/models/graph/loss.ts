/**
 * DRIN's score and triplet loss as ONNX graph ops, forward and backward. Twins: the score of ../drin.ts
 * (`drinCosine`, src/nn/cosine.ts) and src/train/loss.ts `tripletLoss`.
 *
 * B batch, C candidates, R = C + 1 slots (the last holds the gold entity), D GCN size.
 *
 * Score: S[b,r] = m̂_b · ê_{b,r}, with x̂ = x / max(‖x‖, eps) (m = final mention text [B,D], e = final
 * entity texts [B·R,D]).
 *   dm̂_b = Σ_r dS[b,r] ê_{b,r}      dê_{b,r} = dS[b,r] m̂_b
 *   dx = (dx̂ − x̂ (x̂·dx̂)·[‖x‖ > eps]) / max(‖x‖, eps)     (the norm's own gradient vanishes where eps clamps it)
 *
 * Loss: s = S[:, :C], pos_i = Σ_c onehot[i,c] s[i,c], pre[i,b,c] = s[b,c] − pos_i + margin,
 *   loss = mean_{i,b,c} relu(pre)   (k = 1 / (B·B·C), active = [pre > 0]).
 *   ∂loss/∂s[b,c]  = k Σ_i active[i,b,c]                       (s read as the candidate)
 *                  − k onehot[b,c] Σ_{b',c'} active[b,b',c']     (s read through pos_b, anchor b)
 *   ∂loss/∂S[:, C] = 0 (the gold slot is dropped).
 */
import { DrinOps, Normalized, Value } from './ops';

/** What the score's backward reads. */
export interface ScoreTape {
  mention: Normalized;
  entity: Normalized;
}

/** Scores [B,R] = cosine(mention [B,D], entity rows [B·R,D]). */
export function scoreForward(ops: DrinOps, mention: Value, entity: Value, cosineEps: number): { scores: Value; tape: ScoreTape } {
  const mentionNorm = ops.normalize(mention, cosineEps); // [B,D]
  const entityNorm = ops.normalize(entity, cosineEps); // [B·R,D]
  return { scores: ops.rowDot(entityNorm.unit, mentionNorm.unit), tape: { mention: mentionNorm, entity: entityNorm } };
}

/** Gradients of the mention [B,D] and entity rows [B·R,D] from dScores [B,R]. */
export function scoreBackward(ops: DrinOps, tape: ScoreTape, dScores: Value): { mention: Value; entity: Value } {
  return {
    mention: ops.normalizeBackward(tape.mention, ops.slotSum(dScores, tape.entity.unit)), // dm̂ = Σ_r dS ê
    entity: ops.normalizeBackward(tape.entity, ops.outer(dScores, tape.mention.unit)), // dê = dS m̂
  };
}

/** What the loss's backward reads: the hinge's argument pre [B(anchor),B,C]. */
export interface TripletTape {
  pre: Value;
}

/** The triplet loss (scalar) from scores [B,R] and one-hot labels `onehot` [B,C]. */
export function tripletLossForward(ops: DrinOps, scores: Value, onehot: Value, margin: number): { loss: Value; tape: TripletTape } {
  const { graph, B, R } = ops;
  const C = R - 1;
  const candidates = graph.op('Slice', [scores, graph.constI([0, 0]), graph.constI([B, C]), graph.constI([0, 1])]); // [B,R] → [B,C]
  const positive = ops.sumAxes(ops.mul(candidates, onehot), [1]); // [B]
  const pre = ops.shift(ops.sub(ops.reshape(candidates, [1, B, C]), ops.reshape(positive, [B, 1, 1])), margin); // [B(anchor),B,C]
  return { loss: ops.meanAxes(graph.op('Relu', [pre]), [0, 1, 2]), tape: { pre } };
}

/** dLoss/dScores [B,R] (the loss's gradient is 1). */
export function tripletLossBackward(ops: DrinOps, tape: TripletTape, onehot: Value): Value {
  const { B, R } = ops;
  const C = R - 1;
  const active = ops.positive(tape.pre); // relu'(pre) [B,B,C]
  const k = 1 / (B * B * C);
  const dPositive = ops.scale(ops.sumAxes(active, [1, 2]), -k); // [B]
  const dCandidates = ops.add(ops.scale(ops.sumAxes(active, [0]), k), ops.mul(ops.reshape(dPositive, [B, 1]), onehot)); // [B,C]
  return ops.concat([dCandidates, ops.zeros([B, 1])], 1); // [B,R]: the gold slot is dropped by the loss
}
