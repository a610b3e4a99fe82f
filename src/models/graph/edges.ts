/**
 * DRIN's initial edges as ONNX graph ops (twin of ../edges.ts, paper §3.3), each [B,R]:
 *
 *  tt  cosine(mention span mean, raw entity text)
 *  ti  mtei / 100        it  miet / 100
 *  ii  Σ_ij cos(mo_i, eo_j)·s_i·s_j / (Σ_ij s_i·s_j + 1e-9)
 *
 * B batch, R slots, O mention objects, P entity objects, Dt BERT, Di ResNet.
 *
 * Forward only. Why the initial edges need no gradient: they are functions of the batch alone (the
 * span mean and the raw entity text are features, not vertices; the similarities and objects are data),
 * so nothing trainable lies below them. Layer 0 therefore gives its input edges no gradient, and the
 * first gradient any edge receives is that of layer 1's input, which is layer 0's dynamic edge output.
 */
import { BatchInputs, DrinOps, Value } from './ops';
import { meanIfRank } from './vertices';

/**
 * The initial edges [tt, ti, it, ii], each [B,R]. `mentionSpan` [B,Dt] (the span mean), `entityTextRaw`
 * [B,R,Dt]. The entity-side inputs are divided by their norms after the dot products, not before (fewer ops
 * on the big tensors; the same cosine).
 */
export function initialEdgesForward(ops: DrinOps, inputs: BatchInputs, mentionSpan: Value, entityTextRaw: Value, cosineEps: number): Value[] {
  const { B, R } = ops;
  const Dt = inputs.dims('entity_text_vector')[2];
  const O = inputs.dims('mention_object_score')[1];
  const P = inputs.dims('entity_object_score')[2];
  const mentionObjects = ops.normalize(meanIfRank(ops, inputs, 'mention_object_feature', 4), cosineEps).unit; // [B,O,Di]
  const entityObjects = meanIfRank(ops, inputs, 'entity_object_feature', 5); // [B,R,P,Di]
  const Di = inputs.dims('entity_object_feature').at(-1)!;
  const objectsByMention = ops.reshape(entityObjects, [B, R * P, Di]); // [B,R,P,Di] → [B,R·P,Di]
  const mentionObjectsT = ops.graph.op('Transpose', [mentionObjects], { perm: [0, 2, 1] }); // [B,Di,O]
  const objectDots = ops.reshape(ops.matmul(objectsByMention, mentionObjectsT), [B, R, P, O]); // [B,R·P,O] → [B,R,P,O]
  const objectCosines = ops.div(objectDots, ops.normOf(entityObjects, cosineEps)); // [B,R,P,O]
  const objectWeights = ops.mul(
    ops.reshape(inputs.get('entity_object_score'), [B, R, P, 1]), // [B,R,P] → [B,R,P,1]
    ops.reshape(inputs.get('mention_object_score'), [B, 1, 1, O]), // [B,O] → [B,1,1,O]
  ); // [B,R,P,O]
  const hundred = ops.graph.constF([100]);
  const mentionUnit = ops.reshape(ops.normalize(mentionSpan, cosineEps).unit, [B, Dt, 1]); // [B,Dt] → [B,Dt,1]
  const textDots = ops.div(ops.matmul(entityTextRaw, mentionUnit), ops.normOf(entityTextRaw, cosineEps)); // [B,R,1]
  return [
    ops.reshape(textDots, [B, R]), // tt: [B,R,1] → [B,R]
    ops.div(inputs.get('mtei_similarity'), hundred), // ti
    ops.div(inputs.get('miet_similarity'), hundred), // it
    ops.div(ops.sumAxes(ops.mul(objectCosines, objectWeights), [2, 3]), ops.shift(ops.sumAxes(objectWeights, [2, 3]), 1e-9)), // ii
  ];
}
