/**
 * DRIN's vertices as ONNX graph ops (twin of ../vertices.ts, paper §3.2): the parameter-free features
 * (span mean, region mean, entity text vector, entity image) and the four vertex Linears, forward and backward.
 *
 * B batch, R slots, T mention tokens, Dt BERT, Di ResNet, D GCN size; din = Dt or Di (an entity Linear's input).
 *
 * Forward: h = x·Wᵀ + b per vertex type: mt, mi [B,D] from x [B,Dt|Di]; et, ei [B·R,D] from x [B·R,Dt|Di].
 * Backward: the features are data, so only the Linears' parameters get a gradient:
 *   dW = Σ_terms dhᵀ x     db = Σ_rows Σ_terms dh
 * The gradient of a vertex is the sum of one term per place that reads it (the layer's aggregation,
 * its residual, the dynamic edges, the score); the Linear's backward adds the terms once, then multiplies.
 *
 * Lazy entity vertices (layer 0 on WikiMEL): an entity vertex h = x·W_eᵀ + b_e is not formed as
 * [B·R,D] when its B·R rows outnumber its input width din (WikiMEL: 6,464 rows). Layer 0 reads it only
 * through products linear in it, which are re-associated to the x side (exact algebra, float rounding differs):
 *   Σ_r a_r h_r = (Σ_r a_r x_r) W_eᵀ + (Σ_r a_r) b_e           (`vertexSlotSum`)
 *   h_r·v      = x_r·(v W_e) + b_e·v                            (`vertexRowDot`)
 * and its gradient terms stay unformed as well (`VertexGradTerm`):
 *   dh = a ⊗ v (one row a[b,r]·v[b,:] per slot)  ⇒  dW_e += vᵀ (Σ_r a_r x_r),  db_e += Σ_b v (Σ_r a_r)
 *   dh = dP W_h (through the layer's W_h)          ⇒  dW_e += W_hᵀ (dPᵀ x),      db_e += (Σ_rows dP) W_h
 */
import { DRIN_VERTEX_KEYS } from '../vertices';
import { BatchInputs, DrinGraphContext, DrinOps, Value } from './ops';
import { entityRows, rowDotOfRows, slotSumOfRows, slotWeightsPerRow, UniqueRows } from './unique-rows';

/** An entity vertex left as x·Wᵀ + b: x [B·R,din], W [D,din], b [D]; x's distinct rows when the batch gives them. */
export interface LazyEntityVertex {
  x: Value;
  W: Value;
  b: Value;
  din: number;
  unique?: UniqueRows;
  /** With few distinct rows (unique.few): the vertex per distinct row, U Wᵀ + b [N,D] (./unique-rows.ts). */
  rowsH?: Value;
}
/** An entity vertex: a [B·R,D] value, or lazy. */
export type EntityVertex = Value | LazyEntityVertex;
export const isLazy = (v: EntityVertex): v is LazyEntityVertex => typeof v !== 'string';

/** The four vertices: mt, mi [B,D]; et, ei [B·R,D] (lazy in layer 0 when their rows outnumber din). */
export interface GraphVertices {
  mt: Value;
  mi: Value;
  et: EntityVertex;
  ei: EntityVertex;
}

/** The vertex Linears' inputs: mt [B,Dt], mi [B,Di], et [B·R,Dt], ei [B·R,Di] (and the entity rows' distinct rows, when fed). */
export interface VertexFeatures {
  mt: Value;
  mi: Value;
  et: Value;
  ei: Value;
  unique?: { et?: UniqueRows; ei?: UniqueRows };
}

/** Mean over the axis before the feature axis when the input has `rank` dims (the reference's mean(dim=-2)). */
export function meanIfRank(ops: DrinOps, inputs: BatchInputs, name: string, rank: number): Value {
  const v = inputs.get(name);
  const dims = inputs.dims(name);
  if (dims.length !== rank) return v;
  if (dims[rank - 2] === 1) return ops.reshape(v, [...dims.slice(0, rank - 2), dims[rank - 1]]); // a singleton axis: no reduction needed
  return ops.meanAxes(v, [rank - 2]);
}

/**
 * The vertex features from the batch (parameter-free): the mention span mean (`span_weights` [B,T]
 * as vertices.ts `drinMentionSpanWeights`), the mean over image regions, the entity text vector and the
 * entity image. Also the raw entity text [B,R,Dt] the text–text edge reads.
 */
export function vertexFeatures(ops: DrinOps, inputs: BatchInputs, Dt: number, Di: number): { features: VertexFeatures; entityTextRaw: Value } {
  const { B, R } = ops;
  const T = inputs.dims('mention_text_feature')[1];
  const text = entityRows(ops, inputs, 'entity_text_vector', Dt); // [B·R,Dt]
  const image = entityRows(ops, inputs, 'entity_image_feature', Di); // [B,R,(k,)Di] → [B·R,Di]
  const entityTextRaw = inputs.has('entity_text_raw')
    ? inputs.get('entity_text_raw')
    : text.unique
      ? ops.reshape(text.x, [B, R, Dt]) // [B·R,Dt] → [B,R,Dt]
      : inputs.get('entity_text_vector'); // [B,R,Dt]
  const spanWeights = ops.reshape(inputs.get('span_weights'), [B, 1, T]); // [B,T] → [B,1,T]
  const features: VertexFeatures = {
    mt: ops.reshape(ops.matmul(spanWeights, inputs.get('mention_text_feature')), [B, Dt]), // [B,1,Dt] → [B,Dt]
    mi: ops.meanAxes(inputs.get('mention_image_feature'), [1]), // [B,Rg,Di] → [B,Di]
    et: text.x,
    ei: image.x,
    unique: { et: text.unique, ei: image.unique },
  };
  return { features, entityTextRaw };
}

/** The four vertices h = x·Wᵀ + b; an entity vertex stays lazy when B·R > din and `allowLazy`. */
export function vertexForward(ctx: DrinGraphContext, x: VertexFeatures, allowLazy = true): GraphVertices {
  const { ops, param, cfg } = ctx;
  const linear = (xv: Value, prefix: string): Value => ops.linear(xv, param[`${prefix}.weight`], param[`${prefix}.bias`]);
  const entityVertex = (xv: Value, prefix: string, din: number, unique?: UniqueRows): EntityVertex =>
    allowLazy && ops.BR > din
      ? { x: xv, W: param[`${prefix}.weight`], b: param[`${prefix}.bias`], din, unique, rowsH: unique?.few ? linear(unique.rows, prefix) : undefined }
      : linear(xv, prefix);
  return {
    mt: linear(x.mt, DRIN_VERTEX_KEYS.mentionText), // [B,D]
    mi: linear(x.mi, DRIN_VERTEX_KEYS.mentionImage), // [B,D]
    et: entityVertex(x.et, DRIN_VERTEX_KEYS.entityText, cfg.bertDim, x.unique?.et), // [B·R,D]
    ei: entityVertex(x.ei, DRIN_VERTEX_KEYS.entityImage, cfg.resnetDim, x.unique?.ei), // [B·R,D]
  };
}

/** Σ_r a[b,r]·X[b,r,:] for a [B,R] → [B,D], on a vertex that may be lazy: (Σ_r a x_r) W_eᵀ + (Σ_r a) b_e. */
export function vertexSlotSum(ops: DrinOps, a: Value, X: EntityVertex): Value {
  if (!isLazy(X)) return ops.slotSum(a, X);
  if (X.rowsH) return slotSumOfRows(ops, a, X.rowsH, X.unique!);
  return ops.add(ops.matmulT(ops.slotSumIn(a, X.x, X.din), X.W), ops.mul(ops.sumAxes(a, [1], true), X.b));
}

/** X[b,r,:]·v[b,:] for v [B,D] → [B,R], on a vertex that may be lazy: x_r·(v W_e) + b_e·v. */
export function vertexRowDot(ops: DrinOps, X: EntityVertex, v: Value): Value {
  if (!isLazy(X)) return ops.rowDot(X, v);
  if (X.rowsH) return rowDotOfRows(ops, X.rowsH, v, X.unique!);
  const { B, R, D } = ops;
  const xByMention = ops.reshape(X.x, [B, R, X.din]); // [B·R,din] → [B,R,din]
  const vIn = ops.reshape(ops.matmul(v, X.W), [B, X.din, 1]); // [B,din] → [B,din,1]
  return ops.add(ops.reshape(ops.matmul(xByMention, vIn), [B, R]), ops.matmul(v, ops.reshape(X.b, [D, 1]))); // [B,R,1] → [B,R]
}

/**
 * A gradient term of an entity vertex: a [B·R,D] value, a[b,r]·v[b,:] left as (a, v), dP·W left as (dP, W, Q = dPᵀx,
 * dPSum = Σ_rows dP [1,D]), or, for a vertex with few distinct rows, the term summed per distinct row [N,D] (`rows`).
 */
export type VertexGradTerm = Value | { outer: [Value, Value] } | { throughLinear: { dP: Value; W: Value; Q: Value; dPSum: Value } } | { rows: Value };

/** The term a[b,r]·v[b,:] (a [B,R], v [B,D]) for vertex X: left unformed when X is lazy; A'ᵀ v [N,D] with few distinct rows. */
export function outerTerm(ops: DrinOps, a: Value, v: Value, X: EntityVertex): VertexGradTerm {
  if (!isLazy(X)) return ops.outer(a, v);
  if (X.rowsH) return { rows: ops.tmatmul(slotWeightsPerRow(ops, a, X.unique!), v) }; // [B,N]ᵀ [B,D] → [N,D]
  return { outer: [a, v] };
}

/** A term as a [B·R,D] value. */
export function denseTerm(ops: DrinOps, t: VertexGradTerm): Value {
  if (typeof t === 'string') return t;
  if ('rows' in t) throw new Error('DRIN graph: a per-distinct-row gradient term has no [B·R,D] form'); // cannot happen: only layer 0's input reads it
  if ('outer' in t) return ops.outer(...t.outer);
  return ops.matmul(t.throughLinear.dP, t.throughLinear.W);
}

/** Gradient terms of each vertex (summed by whoever reads them). */
export interface VertexGrads {
  mt: Value[];
  mi: Value[];
  et: VertexGradTerm[];
  ei: VertexGradTerm[];
}

/** The vertex Linears' parameter gradients, written into `grads` by state_dict key. */
export function vertexBackward(ctx: DrinGraphContext, x: VertexFeatures, dh: VertexGrads, grads: Record<string, Value>): void {
  const { ops, cfg } = ctx;
  const linearGrad = (prefix: string, dy: Value[], xv: Value): void => {
    const d = ops.sum(dy);
    grads[`${prefix}.weight`] = ops.tmatmul(d, xv);
    grads[`${prefix}.bias`] = ops.sumAxes(d, [0]);
  };
  linearGrad(DRIN_VERTEX_KEYS.mentionText, dh.mt, x.mt);
  linearGrad(DRIN_VERTEX_KEYS.mentionImage, dh.mi, x.mi);
  /** An entity Linear from its terms: values as above, (a, v) as vᵀ(Σ_r a x_r), (dP, W, Q) as Wᵀ Q. */
  const entityLinearGrad = (prefix: string, terms: VertexGradTerm[], xv: Value, din: number, unique?: UniqueRows): void => {
    const dense = terms.filter((t): t is Value => typeof t === 'string');
    if (dense.length === terms.length) return linearGrad(prefix, dense, xv);
    const perRow = terms.flatMap((t) => (typeof t !== 'string' && 'rows' in t ? [t.rows] : []));
    if (perRow.length) {
      // few distinct rows: every term is per row; dW = dhᵀ U, db = Σ_u dh_u
      if (perRow.length !== terms.length || !unique) throw new Error('DRIN graph: per-distinct-row gradient terms mixed with others'); // cannot happen
      return linearGrad(prefix, perRow, unique.rows);
    }
    const weight: Value[] = [];
    const bias: Value[] = [];
    if (dense.length) {
      const d = ops.sum(dense);
      weight.push(ops.tmatmul(d, xv));
      bias.push(ops.sumAxes(d, [0]));
    }
    const outers = terms.flatMap((t) => (typeof t !== 'string' && 'outer' in t ? [t.outer] : []));
    if (outers.length) {
      const vs = ops.concat(
        outers.map(([, v]) => v),
        0,
      ); // [n·B,D]
      weight.push(
        ops.tmatmul(
          vs,
          ops.concat(
            outers.map(([a]) => ops.slotSumIn(a, xv, din)),
            0,
          ),
        ),
      ); // [n·B,din]
      bias.push(
        ops.sumAxes(
          ops.concat(
            outers.map(([a, v]) => ops.mul(v, ops.sumAxes(a, [1], true))),
            0,
          ),
          [0],
        ),
      );
    }
    for (const t of terms) {
      if (typeof t === 'string' || !('throughLinear' in t)) continue;
      weight.push(ops.tmatmul(t.throughLinear.W, t.throughLinear.Q));
      bias.push(ops.reshape(ops.matmul(t.throughLinear.dPSum, t.throughLinear.W), [ops.D])); // [1,D] → [D]
    }
    grads[`${prefix}.weight`] = ops.sum(weight);
    grads[`${prefix}.bias`] = ops.sum(bias);
  };
  entityLinearGrad(DRIN_VERTEX_KEYS.entityText, dh.et, x.et, cfg.bertDim, x.unique?.et);
  entityLinearGrad(DRIN_VERTEX_KEYS.entityImage, dh.ei, x.ei, cfg.resnetDim, x.unique?.ei);
}
