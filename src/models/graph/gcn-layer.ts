/**
 * One DRIN GCN layer as ONNX graph ops, forward and backward (twin of ../gcn-layer.ts, paper §3.4):
 * scalar edges, GELU (erf) vertices, sigmoid edges.
 *
 * B batch, R slots, D GCN size, D' = D (scalar edges: W_u, W_v map D → D). Vertices mt, mi [B,D], et, ei
 * [B·R,D]; edges [B,R]. Slot weights w_r = 1/n for the n aggregated slots (the gold slot left out with
 * maskGoldSlot), else 0. ê_k = e_k·mask_k (the edge-enable mask, applied at every layer input).
 *
 * Forward:
 *   A_mt = Σ_r w_r (tt·et + ti·ei)      A_mi = Σ_r w_r (it·et + ii·ei)
 *   A_et = tt·mt + it·mi                A_ei = ti·mt + ii·mi
 *   Z = A + h   P = Z W_hᵀ + b_h   Y = LN(P)   h' = GELU(Y) = Y·Φ(Y)   (entity rows: see "Entity rows")
 *   the last layer computes only the mt and et rows (nothing else reaches the score).
 *   dynamic edge (u mention, v entity): s = mean_d((W_u h_u + b_u) ⊙ (W_v h_v + b_v)) = (h_v·g_u + c_u) / D'
 *     with the query g_u = (W_u h_u + b_u) W_v [B,D], c_u = (W_u h_u + b_u)·b_v [B,1]: the reference's number
 *     without the W_v product on the B·R entity rows (exact algebra, float rounding differs).
 *   e' = sigmoid(s + ê)
 *
 * Backward (what each forward line gives back, in reverse):
 *   e' = σ(s + ê):  dpre = de'·e'(1 − e');  dê += dpre;  ds = dpre
 *   s = (h_v·g_u + c_u)/D':  dh_v += (ds/D') g_u;  dg_u = Σ_r (ds/D') h_v;  dc_u = Σ_r ds/D'
 *     then [dg_u | dc_u] [W_v | b_v]ᵀ = d(W_u h_u + b_u), and the Linear W_u backward (dW_u, db_u, dh_u).
 *   GELU: dY = dh'·(Φ(Y) + Y φ(Y)), φ the normal density.
 *   LayerNorm, Y = Ŷγ + β with Ŷ = (P − μ)·rstd, rstd = 1/√(var + eps), per row over D:
 *     dγ = Σ_rows dY Ŷ   dβ = Σ_rows dY   dŶ = dY γ
 *     dP = rstd·(dŶ − mean_d(dŶ) − Ŷ·mean_d(dŶ Ŷ))   (μ and var depend on every element of the row)
 *   P = Z W_hᵀ + b_h:  dW_h = dPᵀ Z   db_h = Σ_rows dP   dZ = dP W_h
 *   Z = A + h: the residual, dh += dZ; A_mt = Σ_r w_r (tt·et + ti·ei): det_r += w_r tt_r dA_mt,
 *     dtt_r += w_r (et_r·dA_mt), and alike for each aggregation line.
 *   ê = e·mask: de = dê·mask (none when mask = 0).
 * A tensor read in several places (h_mt by A_et, A_ei, its residual and W_u) gets one term per read;
 * the terms are kept in lists and summed once by whoever reads the gradient (the layer below, the
 * vertex Linears): that is the multivariate chain rule, Σ over the paths from the tensor to the loss.
 *
 * Why the first layer's edges get no gradient: layer 0 reads the initial edges, which are computed from
 * the batch alone (./edges.ts), so the terms dê of layer 0 are not built at all. Static edges are never
 * recomputed, so they too are data: only dynamic edges of layer i > 0 carry a gradient, to layer i − 1's
 * W_u, W_v and vertices. The last layer makes no edges, so its W_u, W_v get none.
 *
 * Entity rows: an entity part of Z is a1·mt + a2·mi + X (A_et: a1 = tt, a2 = it; A_ei: ti, ii), never formed
 * as [B·R,D]: its P rows are X W_hᵀ + a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + b_h, one Gemm on X whose C input is the
 * batched product [a1 | a2 | 1] [B,R,3] · [mt W_hᵀ ; mi W_hᵀ ; b_h] [B,3,D] (exact algebra, float rounding
 * differs), and its backward
 *   dW_h += S1ᵀ mt + S2ᵀ mi + dPᵀ X  with S_j = Σ_r a_j dP_r;  dmt += S1 W_h, dmi += S2 W_h;  dX = dZ = dP W_h;
 *   da1_r = dZ_r·mt, da2_r = dZ_r·mi (the edges' gradients, where they have one).
 * Lazy entity rows (layer 0 only, ./vertices.ts): X = x W_eᵀ + b_e, so the P rows are
 * a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + x (W_h W_e)ᵀ + (b_e W_hᵀ + b_h), and the backward
 *   dW_h += S1ᵀ mt + S2ᵀ mi + Q W_eᵀ + (Σ_rows dP)ᵀ b_e  with Q = dPᵀ x
 *   dmt += S1 W_h, dmi += S2 W_h, dh_e = dP W_h (left as the term (dP, W_h, Q)).
 * When the batch gives x's distinct rows U and index (./unique-rows.ts), x (W_h W_e)ᵀ + c is computed on U
 * and gathered, and Q = (dP summed per distinct row)ᵀ U; with few distinct rows (N < din) the vertex is
 * formed per row instead, h = U W_eᵀ + b_e [N,D], and its P rows are Gather(h W_hᵀ + b_h) (same file).
 *
 * LayerNorm and GELU run as onnxruntime's fused kernels (ONNX LayerNormalization, com.microsoft Gelu in its
 * exact erf form), one pass each instead of ≈ 12 written-out elementwise ops; what their backward reads (Ŷ, Y/√2,
 * erf(Y/√2)) is written out and exists only in a training graph. LayerNorm is per row, so each entity part's
 * rows are their own block (`NormBlock`): no concatenation of P into one [N,D] tensor, and no split of h'.
 */
import { DrinGraphContext, DrinOps, Value } from './ops';
import { gatherRows, sumPerRow } from './unique-rows';
import { denseTerm, EntityVertex, GraphVertices, isLazy, outerTerm, VertexGradTerm, VertexGrads, vertexRowDot, vertexSlotSum } from './vertices';

/**
 * Rows of a layer's Z: mention rows (`Z`) or entity rows a1·mt + a2·mi + X (`entity`, X dense or lazy), formed
 * as `Z` too only when they are few (see `formEntityRows`).
 */
interface ZPart {
  Z?: Value;
  entity?: { X: EntityVertex; a1: Value; a2: Value };
}

/**
 * Whether a dense entity vertex's Z rows are formed and stacked with the mention rows (one Gemm for all, as the
 * reference): when B·R ≤ D (WikiDiverse: 704 rows), where the fewer, fuller GEMMs win; with more rows
 * (WikiMEL: 6,464) they are left to the projection (header: "Entity rows"), which skips their outer products,
 * stacking and split.
 */
const formEntityRows = (ops: DrinOps, X: EntityVertex): X is Value => !isLazy(X) && ops.BR <= ops.D;

/** What a layer's backward reads. */
export interface GcnLayerTape {
  index: number;
  last: boolean;
  /** The layer's input vertices. */
  h: GraphVertices;
  /** Masked input edges ê [B,R] × 4. */
  e: Value[];
  /** ê·w_r (the slot-weighted edges of the mention aggregation) [B,R] × 4. */
  weighted: Value[];
  /** The mention rows of Z, concatenated (entity rows are never formed), and which parts they are. */
  Z: Value;
  parts: ZPart[];
  rows: number[];
  /** LayerNorm + GELU per block of rows (see `NormBlock`), the formed rows' block first. */
  norms: { block: NormBlock; tape: LayerNormGeluTape }[];
  dynamic?: DynamicEdgesTape;
}

/**
 * A block of P's rows that LayerNorm + GELU run on as one tensor: the mention parts' rows (one Gemm on Z, in
 * part order) or one entity part's rows. LayerNorm is per row, so blocks need no concatenation into one
 * [N,D] tensor and their outputs no split by vertex type beyond the mention block's.
 */
interface NormBlock {
  /** P's rows of the block [n,D]. */
  P: Value;
  /** The parts (indices into `parts`) the block holds, in order. */
  parts: number[];
}

/** The number of rows of the parts `parts` (indices into a layer's `rows`), e.g. a norm block's. */
const partRows = (rows: number[], parts: number[]): number => parts.reduce((n, j) => n + rows[j], 0);

/** What LayerNorm + GELU's backward reads. */
interface LayerNormGeluTape {
  /** Ŷ = (P − μ)·rstd [N,D] */
  normalized: Value;
  /** 1/√(var + eps) [N,1] */
  rstd: Value;
  /** u = Y/√2 [N,D] */
  scaled: Value;
  /** erf(u) [N,D] */
  erf: Value;
}

/** What the dynamic edges' backward reads. */
interface DynamicEdgesTape {
  /** W_u h_u + b_u for u = mt, mi stacked [2B,D']. */
  projected: Value;
  /** [g_u | c_u] for u = mt, mi stacked [2B,D+1]. */
  queries: Value;
  /** The output edges e' [B,R] × 4. */
  out: Value[];
}

const prefixOf = (index: number): string => `gcn_layers.${index}`;

/** Slot weights w_r [1,R]: 1/n for the n aggregated slots, else 0. */
function slotWeights(ops: DrinOps, maskGoldSlot: boolean): Value {
  const { R } = ops;
  const n = maskGoldSlot ? R - 1 : R;
  return ops.graph.constF(
    Array.from({ length: R }, (_, r) => (r < n ? 1 / n : 0)),
    [1, R],
  );
}

/** Layer `index` on vertices `h` and edges `edgesIn` (unmasked): the new vertices and edges, and the tape. */
export function gcnLayerForward(
  ctx: DrinGraphContext,
  index: number,
  h: GraphVertices,
  edgesIn: Value[],
): { vertices: GraphVertices; edges: Value[]; tape: GcnLayerTape } {
  const { ops, cfg, param } = ctx;
  const { B, BR } = ops;
  const prefix = prefixOf(index);
  const last = index === cfg.numLayers - 1;
  const e = edgesIn.map((v, k) => (cfg.edgeEnabled[k] === 1 ? v : ops.scale(v, cfg.edgeEnabled[k]))); // ê [B,R]
  const [tt, ti, it, ii] = e;
  const w = slotWeights(ops, cfg.maskGoldSlot);
  const weighted = e.map((v) => ops.mul(v, w)); // [B,R]
  const [ttw, tiw, itw, iiw] = weighted;
  const aggMt = ops.add(vertexSlotSum(ops, ttw, h.et), vertexSlotSum(ops, tiw, h.ei)); // A_mt [B,D]
  /** Z's entity rows A_e + h_e with A_e = a1·mt + a2·mi, left to the projection (projectionForward). */
  const entityPart = (a1: Value, a2: Value, X: EntityVertex): ZPart =>
    formEntityRows(ops, X) ? { Z: ops.add(ops.outerSum([a1, a2], [h.mt, h.mi]), X), entity: { X, a1, a2 } } : { entity: { X, a1, a2 } };
  const parts: ZPart[] = last
    ? [{ Z: ops.add(aggMt, h.mt) }, entityPart(tt, it, h.et)]
    : [
        { Z: ops.add(aggMt, h.mt) },
        { Z: ops.add(ops.add(vertexSlotSum(ops, itw, h.et), vertexSlotSum(ops, iiw, h.ei)), h.mi) }, // A_mi + mi
        entityPart(tt, it, h.et), // A_et + et
        entityPart(ti, ii, h.ei), // A_ei + ei
      ];
  const rows = last ? [B, BR] : [B, B, BR, BR];
  const { Z, blocks } = projectionForward(ops, h, parts, rows, param[`${prefix}.w_h.weight`], param[`${prefix}.w_h.bias`], prefix);
  const H: Value[] = parts.map(() => '');
  const norms = blocks.map((block) => {
    const norm = layerNormGeluForward(ops, block.P, param[`${prefix}.layer_norm.weight`], param[`${prefix}.layer_norm.bias`], cfg.layerNormEps);
    const out = ops.split(
      norm.out,
      block.parts.map((j) => rows[j]),
      0,
    );
    block.parts.forEach((j, n) => (H[j] = out[n]));
    return { block, tape: norm.tape };
  });
  const tape: GcnLayerTape = { index, last, h, e, weighted, Z, parts, rows, norms };
  const vertices = last ? { mt: H[0], et: H[1], mi: h.mi, ei: h.ei } : { mt: H[0], mi: H[1], et: H[2], ei: H[3] };
  if (last || cfg.edgeType !== 'dynamic') return { vertices, edges: e, tape };
  tape.dynamic = dynamicEdgesForward(ctx, prefix, h, e);
  return { vertices, edges: tape.dynamic.out, tape };
}

/** e' = σ((h_v·g_u + c_u)/D' + ê) for the four (u, v) pairs. */
function dynamicEdgesForward(ctx: DrinGraphContext, prefix: string, h: GraphVertices, e: Value[]): DynamicEdgesTape {
  const { ops, param } = ctx;
  const { B, D } = ops;
  const Dp = D;
  const [tt, ti, it, ii] = e;
  const projected = ops.linear(ops.concat([h.mt, h.mi], 0), param[`${prefix}.w_u.weight`], param[`${prefix}.w_u.bias`]); // [2B,D']
  const biasColumn = ops.reshape(param[`${prefix}.w_v.bias`], [Dp, 1]); // [D'] → [D',1]
  const queries = ops.concat([ops.matmul(projected, param[`${prefix}.w_v.weight`]), ops.matmul(projected, biasColumn)], 1); // [2B,D+1]: g_u | c_u
  const [mtQueries, miQueries] = ops.split(queries, [B, B], 0);
  const [queryMt, constMt] = ops.split(mtQueries, [D, 1], 1);
  const [queryMi, constMi] = ops.split(miQueries, [D, 1], 1);
  const score = (X: EntityVertex, query: Value, constant: Value): Value => ops.scale(ops.add(vertexRowDot(ops, X, query), constant), 1 / Dp); // [B,R]
  const out = [
    ops.sigmoid(ops.add(score(h.et, queryMt, constMt), tt)),
    ops.sigmoid(ops.add(score(h.ei, queryMt, constMt), ti)),
    ops.sigmoid(ops.add(score(h.et, queryMi, constMi), it)),
    ops.sigmoid(ops.add(score(h.ei, queryMi, constMi), ii)),
  ];
  return { projected, queries, out };
}

/**
 * Backward of a layer: from the gradient terms of its output vertices `dOut` and of its output edges
 * `dEdgesOut` (per edge type, a list of terms, empty when nothing reads it), the terms of its input vertices
 * and edges; parameter gradients are written into `grads`.
 */
export function gcnLayerBackward(
  ctx: DrinGraphContext,
  tape: GcnLayerTape,
  dOut: VertexGrads,
  dEdgesOut: Value[][],
  grads: Record<string, Value>,
): { vertices: VertexGrads; edges: Value[][] } {
  const { ops, cfg, param } = ctx;
  const { D } = ops;
  const prefix = prefixOf(tape.index);
  const { last } = tape;
  const input = tape.h;
  const dIn: VertexGrads = { mt: [], mi: [], et: [], ei: [] };
  const dEdgesIn: Value[][] = [[], [], [], []]; // dê_k [B,R]
  const edgesHaveGrad = cfg.edgeType === 'dynamic' && tape.index > 0; // the initial edges are data
  const pushEdge = (k: number, f: () => Value): void => {
    if (edgesHaveGrad) dEdgesIn[k].push(f());
  };
  if (tape.dynamic) dynamicEdgesBackward(ctx, prefix, tape, dEdgesOut, dIn, pushEdge, grads);

  // the gradient of h' = GELU(LN(P)), one block of rows per vertex type
  const dHparts = last ? [dOut.mt, dOut.et] : [dOut.mt, dOut.mi, dOut.et, dOut.ei];
  const dHpart = dHparts.map((list: VertexGradTerm[], j) => (list.length ? ops.sum(list.map((term) => denseTerm(ops, term))) : ops.zeros([tape.rows[j], D])));
  const back = tape.norms.map(({ block, tape: normTape }) =>
    layerNormGeluBackward(
      ops,
      normTape,
      ops.concat(
        block.parts.map((j) => dHpart[j]),
        0,
      ), // the block's dH [n,D]
      param[`${prefix}.layer_norm.weight`],
      partRows(tape.rows, block.parts),
    ),
  );
  grads[`${prefix}.layer_norm.weight`] = ops.sum(back.map((b) => b.dGamma));
  grads[`${prefix}.layer_norm.bias`] = ops.sum(back.map((b) => b.dBeta));
  const dPBlocks = back.map((b) => b.dP);
  // P = Z W_hᵀ + b_h (mention rows), and a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + X W_hᵀ + b_h (entity rows)
  if (edgesHaveGrad && tape.parts.some((part) => part.entity && isLazy(part.entity.X))) throw new Error('DRIN graph: lazy entity rows after layer 0'); // cannot happen: only layer 0 reads them
  const { dZ, entityBack, dWeight } = projectionBackward(ops, tape, dPBlocks, param[`${prefix}.w_h.weight`]);
  grads[`${prefix}.w_h.weight`] = dWeight;
  grads[`${prefix}.w_h.bias`] = ops.sum(dPBlocks.map((dP, k) => ops.colSum(dP, partRows(tape.rows, tape.norms[k].block.parts))));
  const [jEt, jEi] = last ? [1, -1] : [2, 3];
  const dAmt = dZ[0];
  const w = slotWeights(ops, cfg.maskGoldSlot);
  const [ttw, tiw, itw, iiw] = tape.weighted;
  /** A_u = Σ_r w_r (e_et·et + e_ei·ei) for a mention vertex u: its slot-weighted edges [wEt, wEi], their indices. */
  const mentionAggregationBackward = (dA: Value, [wEt, wEi]: Value[], [kEt, kEi]: number[]): void => {
    dIn.et.push(outerTerm(ops, wEt, dA, input.et));
    dIn.ei.push(outerTerm(ops, wEi, dA, input.ei));
    pushEdge(kEt, () => ops.mul(vertexRowDot(ops, input.et, dA), w));
    pushEdge(kEi, () => ops.mul(vertexRowDot(ops, input.ei, dA), w));
  };
  /**
   * A_e = e_mt·mt + e_mi·mi for an entity part: dmt += Σ_r e_mt,r dZ_e,r = S1 W_h (S1 = Σ_r e_mt,r dP_e,r), dmi
   * alike; de_mt,r = dZ_e,r·mt, de_mi,r = dZ_e,r·mi (the two edges' indices [kMt, kMi]).
   */
  const entityAggregationBackward = (back: EntityPartGrads, [kMt, kMi]: number[]): void => {
    dIn.mt.push(back.mt);
    dIn.mi.push(back.mi);
    const dAe = back.dZ;
    if (!dAe) return;
    pushEdge(kMt, () => ops.rowDot(dAe, input.mt));
    pushEdge(kMi, () => ops.rowDot(dAe, input.mi));
  };
  // Z = A + h: the residual (an entity vertex's term: dZ_e = dP_e W_h, or its lazy form); then A_mt and A_et
  dIn.mt.push(dAmt);
  dIn.et.push(entityBack[jEt].term);
  mentionAggregationBackward(dAmt, [ttw, tiw], [0, 1]); // A_mt = Σ_r w_r (tt·et + ti·ei)
  entityAggregationBackward(entityBack[jEt], [0, 2]); // A_et = tt·mt + it·mi
  if (!last) {
    const dAmi = dZ[1];
    dIn.mi.push(dAmi);
    dIn.ei.push(entityBack[jEi].term);
    mentionAggregationBackward(dAmi, [itw, iiw], [2, 3]); // A_mi = Σ_r w_r (it·et + ii·ei)
    entityAggregationBackward(entityBack[jEi], [1, 3]); // A_ei = ti·mt + ii·mi
  }
  // the last layer's untouched mi / ei pass through to the layer below
  if (last) {
    dIn.mi.push(...dOut.mi);
    dIn.ei.push(...dOut.ei);
  }
  // ê = e·mask_k: gradient to the previous layer's dynamic edges
  const edges = dEdgesIn.map((list, k) => (edgesHaveGrad && list.length && cfg.edgeEnabled[k] !== 0 ? [ops.scale(ops.sum(list), cfg.edgeEnabled[k])] : []));
  return { vertices: dIn, edges };
}

/** Backward of `dynamicEdgesForward`: terms into `dIn` and `pushEdge`, W_u / W_v gradients into `grads`. */
function dynamicEdgesBackward(
  ctx: DrinGraphContext,
  prefix: string,
  tape: GcnLayerTape,
  dEdgesOut: Value[][],
  dIn: VertexGrads,
  pushEdge: (k: number, f: () => Value) => void,
  grads: Record<string, Value>,
): void {
  const { ops, param } = ctx;
  const { graph, B, D } = ops;
  const Dp = D;
  const input = tape.h;
  const dynamic = tape.dynamic!;
  // e' = σ(s + ê): dpre = de'·e'(1 − e')
  const dPre = dynamic.out.map((out, k) => (dEdgesOut[k].length ? ops.mul(ops.sum(dEdgesOut[k]), ops.mul(out, ops.sub(graph.constF([1]), out))) : '')); // [B,R]
  dPre.forEach((d, k) => d && pushEdge(k, () => d));
  const [mtQueries, miQueries] = ops.split(dynamic.queries, [B, B], 0);
  const [queryMt] = ops.split(mtQueries, [D, 1], 1);
  const [queryMi] = ops.split(miQueries, [D, 1], 1);
  const zeroEdges = ops.zeros([B, ops.R]);
  const dScore = dPre.map((x) => (x ? ops.scale(x, 1 / Dp) : zeroEdges)); // ds_k/D' [B,R]
  const [dtt, dti, dit, dii] = dScore;
  dIn.et.push(outerTerm(ops, dtt, queryMt, input.et), outerTerm(ops, dit, queryMi, input.et)); // s_tt, s_it read et
  dIn.ei.push(outerTerm(ops, dti, queryMt, input.ei), outerTerm(ops, dii, queryMi, input.ei)); // s_ti, s_ii read ei
  const dQueryMt = ops.add(vertexSlotSum(ops, dtt, input.et), vertexSlotSum(ops, dti, input.ei)); // dg_mt [B,D]
  const dQueryMi = ops.add(vertexSlotSum(ops, dit, input.et), vertexSlotSum(ops, dii, input.ei)); // dg_mi [B,D]
  const dConstMt = ops.sumAxes(ops.add(dtt, dti), [1], true); // dc_mt [B,1]
  const dConstMi = ops.sumAxes(ops.add(dit, dii), [1], true); // dc_mi [B,1]
  const dQueries = ops.concat([ops.concat([dQueryMt, dConstMt], 1), ops.concat([dQueryMi, dConstMi], 1)], 0); // [2B,D+1]
  const WvAndBias = ops.concat([param[`${prefix}.w_v.weight`], ops.reshape(param[`${prefix}.w_v.bias`], [Dp, 1])], 1); // [D',D+1]: W_v | b_v
  const dProjected = ops.matmulT(dQueries, WvAndBias); // [2B,D']
  const [dWv, dbv] = ops.split(ops.tmatmul(dynamic.projected, dQueries), [D, 1], 1); // [D',D+1] → [D',D], [D',1]
  grads[`${prefix}.w_v.weight`] = dWv;
  grads[`${prefix}.w_v.bias`] = ops.reshape(dbv, [Dp]); // [D',1] → [D']
  const mentions = ops.concat([input.mt, input.mi], 0); // [2B,D]
  grads[`${prefix}.w_u.weight`] = ops.tmatmul(dProjected, mentions);
  grads[`${prefix}.w_u.bias`] = ops.sumAxes(dProjected, [0]);
  const [dmt, dmi] = ops.split(ops.matmul(dProjected, param[`${prefix}.w_u.weight`]), [B, B], 0);
  dIn.mt.push(dmt);
  dIn.mi.push(dmi);
}

/**
 * h' = GELU(LN(P)) over the rows of P [N,D]: LayerNorm over D (scale γ, shift β), then Y·Φ(Y), as two fused
 * onnxruntime kernels — ONNX LayerNormalization (opset 17; it also outputs the row mean μ and rstd [N,1]) and
 * com.microsoft Gelu (the exact erf form, 0.5·Y·(1 + erf(Y/√2))). The tape's Ŷ = (P − μ)·rstd, u = Y/√2 and
 * erf(u) are written out: only the backward reads them, so a forward-only graph leaves them out (OnnxGraph.toBytes).
 */
function layerNormGeluForward(ops: DrinOps, P: Value, gamma: Value, beta: Value, eps: number): { out: Value; tape: LayerNormGeluTape } {
  const { graph } = ops;
  const [Y, mean, rstd] = graph.opN('LayerNormalization', [P, gamma, beta], { axis: -1, epsilon: { float: eps } }, 3); // [N,D], [N,1], [N,1]
  const normalized = ops.mul(ops.sub(P, mean), rstd);
  const scaled = ops.scale(Y, Math.SQRT1_2);
  const erf = graph.op('Erf', [scaled]);
  const [out] = graph.opDomain('com.microsoft', 1, 'Gelu', [Y]);
  return { out, tape: { normalized, rstd, scaled, erf } };
}

/**
 * Backward of `layerNormGeluForward` from dh' [N,D] (N = `rows`):
 *   dY = dh'·GELU'(Y), 2·GELU'(Y) = 2(Φ(Y) + Y φ(Y)) = 1 + erf(u) + (2/√π)·u·e^(−u²) with u = Y/√2;
 *   dγ = Σ_rows dY Ŷ;  dβ = Σ_rows dY;  dŶ = dY γ;
 *   dP = rstd·(dŶ − mean_d(dŶ) − Ŷ·mean_d(dŶ Ŷ)).
 * Written in as few passes over [N,D] as ONNX ops allow (no fused kernel for either backward in onnxruntime's
 * CPU build): 2·dY is carried and the ½ folded into the [D]-sized constants; e^(−u²) as a division by Exp(u²)
 * (→ 0 where Exp overflows); the row means as products with γ/(2D) [D,1]; the column sums as products with ones.
 */
function layerNormGeluBackward(ops: DrinOps, tape: LayerNormGeluTape, dOut: Value, gamma: Value, rows: number): { dP: Value; dGamma: Value; dBeta: Value } {
  const { graph, D } = ops;
  const decay = ops.div(tape.scaled, graph.op('Exp', [ops.mul(tape.scaled, tape.scaled)])); // u·e^(−u²)
  const slope2 = ops.add(tape.erf, ops.scale(decay, 2 / Math.sqrt(Math.PI))); // 2·GELU'(Y) − 1
  const dY2 = ops.add(ops.mul(dOut, slope2), dOut); // 2·dY (the 1 added as dOut: a scalar Add is the slower kernel)
  const dY2Normalized = ops.mul(dY2, tape.normalized);
  const dGamma = ops.scale(ops.colSum(dY2Normalized, rows), 0.5);
  const dBeta = ops.scale(ops.colSum(dY2, rows), 0.5);
  const meanWeights = ops.reshape(ops.scale(gamma, 0.5 / D), [D, 1]); // γ/(2D): [D] → [D,1]
  const meanDNormalized = ops.matmul(dY2, meanWeights); // mean_d(dŶ) [N,1]
  const meanDNormalizedTimes = ops.matmul(dY2Normalized, meanWeights); // mean_d(dŶ Ŷ) [N,1]
  const dNormalized = ops.mul(dY2, ops.scale(gamma, 0.5)); // dŶ
  const dP = ops.mul(ops.sub(ops.sub(dNormalized, meanDNormalized), ops.mul(tape.normalized, meanDNormalizedTimes)), tape.rstd);
  return { dP, dGamma, dBeta };
}

/** An entity part's backward through W_h: its contributions to dmt, dmi (S·W_h), its vertex's term and, for a dense vertex, dZ_e = dP_e W_h. */
interface EntityPartGrads {
  mt: Value;
  mi: Value;
  term: VertexGradTerm;
  dZ?: Value;
}

/**
 * Backward of the projection from dP per norm block (tape.norms: the formed rows [n,D], then each other entity
 * part's [B·R,D]): dZ per mention part, each entity part's gradients (`EntityPartGrads`; for formed rows from
 * their dZ, else the header's "Entity rows" and "Lazy entity rows"), and dW_h.
 */
function projectionBackward(ops: DrinOps, tape: GcnLayerTape, dPBlocks: Value[], Wh: Value): { dZ: Value[]; entityBack: EntityPartGrads[]; dWeight: Value } {
  const input = tape.h;
  // The products with few rows are batched, one GEMM each (fewer, fuller GEMMs): dW_h's terms leftᵀ right with
  // few rows, Σ_i leftᵢᵀ rightᵢ = [left…]ᵀ [right…]; and the rows to multiply by W_h, [rows…] W_h then split.
  const lefts: Value[] = [];
  const rights: Value[] = [];
  const timesW: Value[] = [];
  const timesWRows: number[] = [];
  /** Queue `x` [rows,D] for the product with W_h; its index in the split result. */
  const byW = (x: Value, rows: number): number => {
    timesW.push(x);
    timesWRows.push(rows);
    return timesW.length - 1;
  };
  const dWh: Value[] = []; // the other dW_h terms
  const formedRows: { parts: number[]; at: number }[] = [];
  const entityAt: { j: number; at: number; grads: Omit<EntityPartGrads, 'mt' | 'mi'> }[] = [];
  tape.norms.forEach(({ block }, k) => {
    const dP = dPBlocks[k];
    const j = block.parts[0];
    if (tape.parts[j].Z) {
      // the formed rows (mention rows, and entity rows where formed): dW_h = dPᵀ Z, dZ = dP W_h
      lefts.push(dP);
      rights.push(tape.Z);
      formedRows.push({ parts: block.parts, at: byW(dP, partRows(tape.rows, block.parts)) });
      return;
    }
    const { X, a1, a2 } = tape.parts[j].entity!;
    const S1 = ops.slotSum(a1, dP); // Σ_r a1_r dP_r [B,D]
    const S2 = ops.slotSum(a2, dP);
    lefts.push(S1, S2);
    rights.push(input.mt, input.mi);
    const at = byW(S1, ops.B);
    byW(S2, ops.B);
    if (!isLazy(X)) {
      dWh.push(ops.tmatmul(dP, X));
      const dZe = ops.matmul(dP, Wh); // [B·R,D]
      entityAt.push({ j, at, grads: { term: dZe, dZ: dZe } });
      return;
    }
    if (X.rowsH) {
      // few distinct rows: dW_h += (Σ_{r→u} dP_r)ᵀ h (h holds b_e), the vertex's term (Σ_{r→u} dP_r) W_h [N,D]
      const dPRows = sumPerRow(ops, dP, X.unique!);
      dWh.push(ops.tmatmul(dPRows, X.rowsH));
      entityAt.push({ j, at, grads: { term: { rows: ops.matmul(dPRows, Wh) } } });
      return;
    }
    const Q = X.unique ? ops.tmatmul(sumPerRow(ops, dP, X.unique), X.unique.rows) : ops.tmatmul(dP, X.x); // [D,din]
    const dPSum = ops.colSum(dP, ops.BR, true); // Σ_rows dP [1,D]
    dWh.push(ops.matmulT(Q, X.W), ops.tmatmul(dPSum, ops.reshape(X.b, [1, ops.D]))); // b_e [D] → [1,D]
    entityAt.push({ j, at, grads: { term: { throughLinear: { dP, W: Wh, Q, dPSum } } } });
  });
  dWh.push(ops.tmatmul(ops.concat(lefts, 0), ops.concat(rights, 0))); // [n,D]ᵀ [n,D]
  const products = ops.split(ops.matmul(ops.concat(timesW, 0), Wh), timesWRows, 0); // [n,D] W_h → per row block
  const dZ: Value[] = [];
  const entityBack: EntityPartGrads[] = [];
  for (const { parts, at } of formedRows) {
    const split = ops.split(
      products[at],
      parts.map((i) => tape.rows[i]),
      0,
    );
    parts.forEach((i, n) => {
      const entity = tape.parts[i].entity;
      if (!entity) dZ[i] = split[n];
      else entityBack[i] = { mt: ops.slotSum(entity.a1, split[n]), mi: ops.slotSum(entity.a2, split[n]), term: split[n], dZ: split[n] }; // Σ_r a_r dZ_r
    });
  }
  for (const { j, at, grads } of entityAt) entityBack[j] = { mt: products[at], mi: products[at + 1], ...grads };
  return { dZ, entityBack, dWeight: ops.sum(dWh) };
}

/**
 * P = Z W_hᵀ + b_h as norm blocks (see `NormBlock`): the formed rows (mention rows, and entity rows where
 * `formEntityRows`) [n,D] from one Gemm on Z, then each other entity part's rows [B·R,D] by the header's
 * "Entity rows" (a dense vertex: one Gemm whose C input holds the outer products and b_h) or "Lazy entity
 * rows"; also Z (the formed rows).
 */
function projectionForward(
  ops: DrinOps,
  h: GraphVertices,
  parts: ZPart[],
  rows: number[],
  Wh: Value,
  bh: Value,
  prefix: string,
): { Z: Value; blocks: NormBlock[] } {
  const { graph, B, D } = ops;
  const formedIdx = parts.flatMap((part, j) => (part.Z ? [j] : []));
  const Z = ops.concat(
    formedIdx.map((j) => parts[j].Z!),
    0,
  ); // [n,D] (the formed rows)
  if (formedIdx.length === parts.length) return { Z, blocks: [{ P: ops.linear(Z, Wh, bh), parts: formedIdx }] };
  // one GEMM for the formed rows and mt W_hᵀ, mi W_hᵀ (the other entity rows' products): [Z; mt; mi] W_hᵀ, split
  const n = partRows(rows, formedIdx);
  const [ZW, mtW, miW] = ops.split(ops.matmulT(ops.concat([Z, h.mt, h.mi], 0), Wh), [n, B, B], 0); // [n+2B,D] → [n,D], [B,D], [B,D]
  const blocks: NormBlock[] = [{ P: ops.add(ZW, bh), parts: formedIdx }];
  parts.forEach((part, j) => {
    if (part.Z) return;
    const { X, a1, a2 } = part.entity!;
    if (!isLazy(X)) {
      // X W_hᵀ + C with C = a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + 1·b_h, one batched product [B,R,3]·[B,3,D]
      const bhRows = graph.op('Expand', [ops.reshape(bh, [1, D]), graph.constI([B, D])]); // [D] → [1,D] → [B,D]
      const C = ops.outerSum([a1, a2, ops.ones([B, ops.R])], [mtW, miW, bhRows]); // [B·R,D]
      blocks.push({ P: graph.op('Gemm', [X, Wh, C], { transB: 1 }), parts: [j] });
      return;
    }
    // lazy entity rows: (a1·mt + a2·mi + x W_eᵀ + b_e) W_hᵀ + b_h = a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + x (W_h W_e)ᵀ + (b_e W_hᵀ + b_h)
    // x (W_h W_e)ᵀ + c once per distinct row when the batch gives them (./unique-rows.ts), [B·R,D]
    // (few distinct rows: h W_hᵀ + b_h on the vertex's N rows, gathered)
    let rowsP: Value;
    if (X.rowsH) rowsP = gatherRows(ops, ops.linear(X.rowsH, Wh, bh), X.unique!);
    else {
      const rowBias = ops.paramOnly(`param_product:${prefix}.part${j}.row_bias`, [D], () =>
        ops.reshape(graph.op('Gemm', [ops.reshape(X.b, [1, D]), Wh, bh], { transB: 1 }), [D]),
      ); // b_e W_hᵀ + b_h: [D] → [1,D] → [D]
      const fused = ops.paramOnly(`param_product:${prefix}.part${j}.w_h_w_e`, [D, X.din], () => ops.matmul(Wh, X.W)); // [D,din]
      rowsP = X.unique
        ? gatherRows(ops, graph.op('Gemm', [X.unique.rows, fused, rowBias], { transB: 1 }), X.unique)
        : graph.op('Gemm', [X.x, fused, rowBias], { transB: 1 });
    }
    blocks.push({ P: ops.add(ops.outerSum([a1, a2], [mtW, miW]), rowsP), parts: [j] });
  });
  return { Z, blocks };
}
