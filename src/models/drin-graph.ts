/**
 * DRIN as one ONNX graph: forward, triplet loss and the hand-derived backward pass, run by
 * onnxruntime's native CPU kernels (src/onnx). The same model as drin.ts / gcn-layer.ts; this file
 * only re-expresses it so that a whole training step is one native call.
 *
 * B batch, R slots (C + 1, last = gold), D GCN size, D' = D (scalar edges), Dt BERT, Di ResNet.
 * Inputs: the batch (CONTRACTS §3 names; entity text as its vector / raw forms, the span as weights
 * [B,T]) and the parameters. The parameter-free part — span and region means, initial edges — is in
 * the graph too (the same formulas as vertices.ts / edges.ts).
 *
 * Forward of a layer (w_r = 1/n for the n aggregated slots, else 0):
 *   A_mt = Σ_r w_r (tt·et + ti·ei)     A_mi = Σ_r w_r (it·et + ii·ei)
 *   A_et = tt·mt + it·mi               A_ei = ti·mt + ii·mi
 *   Z = [A + h]   P = Z W_hᵀ + b_h   Y = LN(P)   h' = GELU(Y)
 *   dynamic edge (u mention, v entity): mean_d(W_u h_u + b_u) ⊙ (W_v h_v + b_v) = (h_v · g_u + c_u) / D'
 *     with g_u = (W_u h_u + b_u) W_v and c_u = (W_u h_u + b_u) · b_v — the same number as the
 *     reference's, without the W_v product on the B·R entity rows (exact algebra, float rounding differs).
 *   e' = sigmoid(s + e)
 * Backward: the chain rule written out, op by op, in reverse (every step names the forward line it undoes).
 *
 * Supported: scalar edges, dynamic or static, any edge mask, any number of layers, maskGoldSlot,
 * GELU (erf) vertices, sigmoid edges — the paper's family. Other configurations use the tfjs engine.
 */
import { OnnxGraph } from '../onnx/graph';
import { DrinConfig } from './drin-config';
import { DRIN_VERTEX_KEYS } from './vertices';
import { drinOrtUnsupported } from './drin-support';

/** Why this configuration cannot run as a graph, or undefined when it can (the declaration: drin-support.ts). */
export function drinGraphUnsupported(cfg: DrinConfig): string | undefined {
  return drinOrtUnsupported(cfg);
}

/** Parameter keys the graph reads (state_dict names), in state_dict order. */
export function drinGraphParamKeys(cfg: DrinConfig): string[] {
  const keys: string[] = [];
  for (const p of [DRIN_VERTEX_KEYS.mentionText, DRIN_VERTEX_KEYS.entityText, DRIN_VERTEX_KEYS.mentionImage, DRIN_VERTEX_KEYS.entityImage])
    keys.push(`${p}.weight`, `${p}.bias`);
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `gcn_layers.${i}`;
    keys.push(`${p}.w_h.weight`, `${p}.w_h.bias`, `${p}.w_u.weight`, `${p}.w_u.bias`, `${p}.w_v.weight`, `${p}.w_v.bias`, `${p}.layer_norm.weight`, `${p}.layer_norm.bias`);
  }
  return keys;
}

/** Parameters that receive a gradient (PyTorch leaves the others' .grad as None): W_u / W_v only where a later layer reads the edges. */
export function drinGraphGradKeys(cfg: DrinConfig): string[] {
  return drinGraphParamKeys(cfg).filter((k) => {
    const m = /^gcn_layers\.(\d+)\.w_[uv]\./.exec(k);
    return !m || (cfg.edgeType === 'dynamic' && Number(m[1]) < cfg.numLayers - 1);
  });
}

export interface DrinGraphShape {
  B: number;
  R: number;
  /** Shapes of the graph's batch inputs (see `drinGraphFeeds`); `entity_text_raw` absent = same as the vector. */
  inputs: Record<string, number[]>;
}

type V = string;

/**
 * An entity vertex h = x·W_eᵀ + b_e never formed as [B·R,D]: layer 0 reads it through products that
 * are linear in it — slot sums (Σ_r a x_r) W_eᵀ, row dots x_r·(v W_e), and its W_h rows as x (W_h W_e)ᵀ —
 * and its gradients reach W_e through x-side products (Q = dPᵀx, Σ_r a x_r). Exact algebra; it saves
 * the [B·R,D]·W_h products when B·R exceeds the input width `din` (WikiMEL's 6,464 entity rows).
 */
interface Lazy {
  /** [B·R,din] */
  x: V;
  /** [D,din] */
  W: V;
  /** [D] */
  b: V;
  din: number;
}
type Vert = V | Lazy;
const isLazy = (v: Vert): v is Lazy => typeof v !== 'string';

/** Rows of a GCN layer's Z: present (`Z`), or lazy entity rows a1·mt + a2·mi + X. */
interface ZPart {
  Z?: V;
  lazy?: { X: Lazy; a1: V; a2: V };
}

/** Ops with DRIN's shapes in mind; every helper returns a value name. */
class Ops {
  constructor(readonly g: OnnxGraph) {}
  add = (a: V, b: V): V => this.g.op('Add', [a, b]);
  sub = (a: V, b: V): V => this.g.op('Sub', [a, b]);
  mul = (a: V, b: V): V => this.g.op('Mul', [a, b]);
  div = (a: V, b: V): V => this.g.op('Div', [a, b]);
  scale = (a: V, s: number): V => (s === 1 ? a : this.mul(a, this.g.constF([s])));
  shift = (a: V, s: number): V => this.add(a, this.g.constF([s]));
  sum = (xs: V[]): V => xs.reduce((a, b) => this.add(a, b));
  matmul = (a: V, b: V): V => this.g.op('MatMul', [a, b]);
  /** a·bᵀ + c over 2-D a [N,in], b [out,in] (PyTorch Linear). */
  linear = (x: V, w: V, b: V): V => this.g.op('Gemm', [x, w, b], { transB: 1 });
  /** aᵀ·b: [N,p]ᵀ [N,q] → [p,q] (weight gradients). */
  tmatmul = (a: V, b: V): V => this.g.op('Gemm', [a, b], { transA: 1 });
  /** a·bᵀ. */
  matmulT = (a: V, b: V): V => this.g.op('Gemm', [a, b], { transB: 1 });
  reshape = (x: V, shape: number[]): V => this.g.op('Reshape', [x, this.g.constI(shape)]);
  sumAxes = (x: V, axes: number[], keep = false): V => this.g.op('ReduceSum', [x, this.g.constI(axes)], { keepdims: keep ? 1 : 0 });
  meanAxes = (x: V, axes: number[], keep = false): V => this.g.op('ReduceMean', [x], { axes, keepdims: keep ? 1 : 0 });
  concat = (xs: V[], axis: number): V => (xs.length === 1 ? xs[0] : this.g.op('Concat', xs, { axis }));
  split = (x: V, sizes: number[], axis: number): V[] => (sizes.length === 1 ? [x] : this.g.opN('Split', [x, this.g.constI(sizes)], { axis }, sizes.length));
  sigmoid = (x: V): V => this.g.op('Sigmoid', [x]);
  sqrt = (x: V): V => this.g.op('Sqrt', [x]);
}

/**
 * Adam inside the graph (PyTorch's rule, src/train/adam.ts): with it, a training graph reads for every
 * parameter that has a gradient its moments `adam.m:<key>`, `adam.v:<key>` (its shape) and the scalars
 * `adam.step_size:<key>` = lr / (1 − β1^t) and `adam.bc2_sqrt:<key>` = √(1 − β2^t), and outputs
 * `next:<key>`, `next.m:<key>`, `next.v:<key>` instead of `grad:<key>`:
 *   m' = β1 m + (1 − β1) g    v' = β2 v + (1 − β2) g²    p' = p − (m' / (√v' / bc2_sqrt + eps)) · step_size
 * (the same op order as adam.ts, so the same float32 numbers).
 */
export interface DrinGraphAdam {
  beta1: number;
  beta2: number;
  eps: number;
}

/**
 * Build the graph for one batch shape. `train`: also the loss (margin `margin`) and the gradients
 * (outputs `loss`, `grad:<key>`); always outputs `scores` [B,R].
 */
export function buildDrinGraph(cfg: DrinConfig, shape: DrinGraphShape, opts: { train: boolean; margin?: number; adam?: DrinGraphAdam }): OnnxGraph {
  const why = drinGraphUnsupported(cfg);
  if (why) throw new Error(`DRIN graph: unsupported configuration (${why})`);
  const { B, R } = shape;
  const C = R - 1;
  const D = cfg.gcnDim;
  const Dp = D; // scalar edges: W_u, W_v map D → D
  const BR = B * R;
  const g = new OnnxGraph('drin');
  const o = new Ops(g);

  // ---- inputs: the batch as CONTRACTS §3 names it (entity text already in vector / raw form)
  const seen = new Set<string>();
  const inp = (name: string): V => {
    const dims = shape.inputs[name];
    if (!dims) throw new Error(`DRIN graph: no shape for input '${name}'`);
    if (!seen.has(name)) g.input(name, dims);
    seen.add(name);
    return name;
  };
  const Dt = cfg.bertDim;
  const Di = cfg.resnetDim;
  const T = shape.inputs.mention_text_feature[1];
  const vector = inp('entity_text_vector'); // [B,R,Dt]
  const raw = shape.inputs.entity_text_raw ? inp('entity_text_raw') : vector; // [B,R,Dt]
  /** Mean over the axis before the feature axis when the input has `rank` dims (the reference's mean(dim=-2)). */
  const meanIfRank = (name: string, rank: number): V => {
    const v = inp(name);
    const dims = shape.inputs[name];
    if (dims.length !== rank) return v;
    if (dims[rank - 2] === 1) return o.reshape(v, [...dims.slice(0, rank - 2), dims[rank - 1]]); // a singleton axis: no reduction needed
    return o.meanAxes(v, [rank - 2]);
  };
  const x = {
    mt: o.reshape(o.matmul(o.reshape(inp('span_weights'), [B, 1, T]), inp('mention_text_feature')), [B, Dt]), // span mean [B,Dt]
    mi: o.meanAxes(inp('mention_image_feature'), [1]), // mean over regions [B,Di]
    et: o.reshape(vector, [BR, Dt]),
    ei: o.reshape(meanIfRank('entity_image_feature', 4), [BR, Di]),
  };

  // ---- initial edges (paper §3.3, edges.ts), each [B,R]
  const eps2 = g.constF([cfg.cosineEps * cfg.cosineEps]);
  /** x / max(‖x‖, eps) over the last axis, with what its backward pass needs. */
  const norm = (v: V): { vn: V; nrm: V; clamped: V } => {
    const sq = o.sumAxes(o.mul(v, v), [-1], true);
    const nrm = o.sqrt(g.op('Max', [sq, eps2]));
    return { vn: o.div(v, nrm), nrm, clamped: g.op('Cast', [g.op('Greater', [sq, eps2])], { to: 1 }) };
  };
  const hundred = g.constF([100]);
  /** max(‖x‖, eps) over the last axis, kept [..., 1]: the big entity-side inputs are divided after the dot product, not before. */
  const normOf = (v: V): V => o.sqrt(g.op('Max', [g.op('ReduceSumSquare', [v], { axes: [-1], keepdims: 1 }), eps2]));
  const O = shape.inputs.mention_object_score[1];
  const P = shape.inputs.entity_object_score[2];
  const mo = norm(meanIfRank('mention_object_feature', 4)).vn; // [B,O,Di]
  const eoRaw = meanIfRank('entity_object_feature', 5); // [B,R,P,Di]
  const eoDot = o.reshape(o.matmul(o.reshape(eoRaw, [B, R * P, Di]), g.op('Transpose', [mo], { perm: [0, 2, 1] })), [B, R, P, O]);
  const cosObj = o.div(eoDot, normOf(eoRaw)); // [B,R,P,O]
  const wObj = o.mul(o.reshape(inp('entity_object_score'), [B, R, P, 1]), o.reshape(inp('mention_object_score'), [B, 1, 1, O])); // [B,R,P,O]
  let edges: V[] = [
    o.reshape(o.div(o.matmul(raw, o.reshape(norm(x.mt).vn, [B, Dt, 1])), normOf(raw)), [B, R]), // tt: cosine(span mean, raw entity text)
    o.div(inp('mtei_similarity'), hundred), // ti
    o.div(inp('miet_similarity'), hundred), // it
    o.div(o.sumAxes(o.mul(cosObj, wObj), [2, 3]), o.shift(o.sumAxes(wObj, [2, 3]), 1e-9)), // ii
  ];
  const param: Record<string, V> = {};
  const paramShape = (k: string): number[] => {
    const prefix = k.replace(/\.(weight|bias)$/, '');
    const isBias = k.endsWith('.bias');
    const dims: Record<string, [number, number]> = {
      [DRIN_VERTEX_KEYS.mentionText]: [D, cfg.bertDim],
      [DRIN_VERTEX_KEYS.entityText]: [D, cfg.bertDim],
      [DRIN_VERTEX_KEYS.mentionImage]: [D, cfg.resnetDim],
      [DRIN_VERTEX_KEYS.entityImage]: [D, cfg.resnetDim],
    };
    if (prefix.endsWith('layer_norm')) return [D];
    const [out, inDim] = dims[prefix] ?? [prefix.endsWith('w_h') ? D : Dp, D];
    return isBias ? [out] : [out, inDim];
  };
  for (const k of drinGraphParamKeys(cfg)) param[k] = g.input(k, paramShape(k));
  const onehot = opts.train ? g.input('answer_onehot', [B, C]) : '';

  // slot weights w_r [1,R]: 1/n for the aggregated slots (the gold slot left out with maskGoldSlot)
  const n = cfg.maskGoldSlot ? R - 1 : R;
  const w = g.constF(Array.from({ length: R }, (_, r) => (r < n ? 1 / n : 0)), [1, R]);
  const to3 = (v: V): V => o.reshape(v, [B, R, D]); // [B·R,D] → [B,R,D]
  const to2 = (v: V): V => o.reshape(v, [BR, D]);
  /** Σ_r a[b,r]·X[b,r,:] for a [B,R], X [B·R,D] → [B,D]. */
  const slotSum = (a: V, X: V): V => o.reshape(o.matmul(o.reshape(a, [B, 1, R]), to3(X)), [B, D]);
  /** X[b,r,:]·v[b,:] for X [B·R,D], v [B,D] → [B,R]. */
  const rowDot = (X: V, v: V): V => o.reshape(o.matmul(to3(X), o.reshape(v, [B, D, 1])), [B, R]);
  /** a[b,r]·v[b,:] for a [B,R], v [B,D] → [B·R,D]. */
  const outer = (a: V, v: V): V => to2(o.mul(o.reshape(a, [B, R, 1]), o.reshape(v, [B, 1, D])));

  // ---- vertices (paper §3.2)
  const lin = (xv: V, prefix: string): V => o.linear(xv, param[`${prefix}.weight`], param[`${prefix}.bias`]);
  /** An entity vertex left as x·W_eᵀ + b_e (see `Lazy`) when its rows outnumber its input width. */
  const entityVertex = (xv: V, prefix: string, din: number): Vert =>
    BR > din ? { x: xv, W: param[`${prefix}.weight`], b: param[`${prefix}.bias`], din } : lin(xv, prefix);
  let h: { mt: V; mi: V; et: Vert; ei: Vert } = {
    mt: lin(x.mt, DRIN_VERTEX_KEYS.mentionText), // [B,D]
    mi: lin(x.mi, DRIN_VERTEX_KEYS.mentionImage), // [B,D]
    et: entityVertex(x.et, DRIN_VERTEX_KEYS.entityText, Dt), // [B·R,D]
    ei: entityVertex(x.ei, DRIN_VERTEX_KEYS.entityImage, Di), // [B·R,D]
  };
  /** Σ_r a[b,r]·x[b,r,:] for a [B,R], x [B·R,din] → [B,din]. */
  const slotSumX = (a: V, xv: V, din: number): V => o.reshape(o.matmul(o.reshape(a, [B, 1, R]), o.reshape(xv, [B, R, din])), [B, din]);
  /** `slotSum` on a vertex that may be lazy: (Σ_r a x_r) W_eᵀ + (Σ_r a) b_e. */
  const slotSumV = (a: V, X: Vert): V => (isLazy(X) ? o.add(o.matmulT(slotSumX(a, X.x, X.din), X.W), o.mul(o.sumAxes(a, [1], true), X.b)) : slotSum(a, X));
  /** `rowDot` on a vertex that may be lazy: x_r·(v W_e) + b_e·v. */
  const rowDotV = (X: Vert, v: V): V =>
    isLazy(X)
      ? o.add(o.reshape(o.matmul(o.reshape(X.x, [B, R, X.din]), o.reshape(o.matmul(v, X.W), [B, X.din, 1])), [B, R]), o.matmul(v, o.reshape(X.b, [D, 1])))
      : rowDot(X, v);

  // ---- GCN layers (paper §3.4), remembering what the backward pass needs
  interface LayerTape {
    h: typeof h;
    e: V[]; // masked input edges ê
    ew: V[]; // ê·w_r (the slot-weighted edges of the mention aggregation)
    /** The rows of Z that exist (all but lazy entity rows), concatenated, and which parts they are. */
    Z: V;
    parts: ZPart[];
    Yhat: V;
    rstd: V;
    Y: V;
    phi: V;
    FU?: V;
    G?: V;
    eOut?: V[];
    rows: number[];
  }
  const tapes: LayerTape[] = [];
  const ln = (i: number) => `gcn_layers.${i}.layer_norm`;
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `gcn_layers.${i}`;
    const last = i === cfg.numLayers - 1;
    const e = edges.map((v, k) => (cfg.edgeEnabled[k] === 1 ? v : o.scale(v, cfg.edgeEnabled[k]))); // ê [B,R]
    const [tt, ti, it, ii] = e;
    const ew = e.map((v) => o.mul(v, w)); // [B,R]
    const [ttw, tiw, itw, iiw] = ew;
    const A_mt = o.add(slotSumV(ttw, h.et), slotSumV(tiw, h.ei)); // [B,D]
    /** Z's entity rows A_e + h_e with A_e = a1·mt + a2·mi: a tensor, or left to the lazy product. */
    const entityPart = (a1: V, a2: V, X: Vert): ZPart => (isLazy(X) ? { lazy: { X, a1, a2 } } : { Z: o.add(o.add(outer(a1, h.mt), outer(a2, h.mi)), X) });
    const parts: ZPart[] = last
      ? [{ Z: o.add(A_mt, h.mt) }, entityPart(tt, it, h.et)]
      : [
          { Z: o.add(A_mt, h.mt) },
          { Z: o.add(o.add(slotSumV(itw, h.et), slotSumV(iiw, h.ei)), h.mi) }, // A_mi + mi
          entityPart(tt, it, h.et), // A_et + et
          entityPart(ti, ii, h.ei), // A_ei + ei
        ];
    const rows = last ? [B, BR] : [B, B, BR, BR];
    const Wh = param[`${p}.w_h.weight`];
    const bh = param[`${p}.w_h.bias`];
    const dense = parts.filter((q) => q.Z);
    const Z = o.concat(dense.map((q) => q.Z!), 0); // [N,D] (the rows that exist)
    let P: V;
    if (dense.length === parts.length) P = o.linear(Z, Wh, bh);
    else {
      // lazy entity rows: (a1·mt + a2·mi + x W_eᵀ + b_e) W_hᵀ + b_h = a1·(mt W_hᵀ) + a2·(mi W_hᵀ) + x (W_h W_e)ᵀ + (b_e W_hᵀ + b_h)
      const denseP = o.split(o.linear(Z, Wh, bh), parts.flatMap((q, j) => (q.Z ? [rows[j]] : [])), 0);
      const mtW = o.matmulT(h.mt, Wh);
      const miW = o.matmulT(h.mi, Wh);
      let j = 0;
      P = o.concat(
        parts.map((q) => {
          if (q.Z) return denseP[j++];
          const { X, a1, a2 } = q.lazy!;
          const c = o.reshape(g.op('Gemm', [o.reshape(X.b, [1, D]), Wh, bh], { transB: 1 }), [D]);
          return o.add(o.add(outer(a1, mtW), outer(a2, miW)), g.op('Gemm', [X.x, o.matmul(Wh, X.W), c], { transB: 1 }));
        }),
        0,
      );
    }
    const mu = o.meanAxes(P, [1], true); // [N,1]
    const xc = o.sub(P, mu);
    const rstd = o.div(g.constF([1]), o.sqrt(o.shift(o.meanAxes(o.mul(xc, xc), [1], true), cfg.layerNormEps))); // [N,1]
    const Yhat = o.mul(xc, rstd);
    const Y = o.add(o.mul(Yhat, param[`${ln(i)}.weight`]), param[`${ln(i)}.bias`]);
    const phi = o.scale(o.shift(g.op('Erf', [o.scale(Y, Math.SQRT1_2)]), 1), 0.5); // Φ(Y)
    const H = o.split(o.mul(Y, phi), rows, 0);
    const tape: LayerTape = { h, e, ew, Z, parts, Yhat, rstd, Y, phi, rows };
    tapes.push(tape);
    const hNew = last ? { mt: H[0], et: H[1], mi: h.mi, ei: h.ei } : { mt: H[0], mi: H[1], et: H[2], ei: H[3] };
    if (!last && cfg.edgeType === 'dynamic') {
      const FU = o.linear(o.concat([h.mt, h.mi], 0), param[`${p}.w_u.weight`], param[`${p}.w_u.bias`]); // [2B,D']
      const G = o.concat([o.matmul(FU, param[`${p}.w_v.weight`]), o.matmul(FU, o.reshape(param[`${p}.w_v.bias`], [Dp, 1]))], 1); // [2B,D+1]: g_u | c_u
      const [gmt, gmi] = o.split(G, [B, B], 0);
      const [g_mt, c_mt] = o.split(gmt, [D, 1], 1);
      const [g_mi, c_mi] = o.split(gmi, [D, 1], 1);
      const s = (X: Vert, gu: V, cu: V): V => o.scale(o.add(rowDotV(X, gu), cu), 1 / Dp); // [B,R]
      const eOut = [
        o.sigmoid(o.add(s(h.et, g_mt, c_mt), tt)),
        o.sigmoid(o.add(s(h.ei, g_mt, c_mt), ti)),
        o.sigmoid(o.add(s(h.et, g_mi, c_mi), it)),
        o.sigmoid(o.add(s(h.ei, g_mi, c_mi), ii)),
      ];
      tape.FU = FU;
      tape.G = G;
      tape.eOut = eOut;
      edges = eOut;
    } else edges = e;
    h = hNew;
  }

  // ---- score: cosine(final mention text, final entity texts)  [B,R]
  const a = norm(h.mt); // [B,D]
  if (isLazy(h.et)) throw new Error('DRIN graph: no GCN layer (numLayers must be ≥ 1)');
  const b = norm(h.et); // [B·R,D]
  const scores = rowDot(b.vn, a.vn); // [B,R]
  g.output('scores', scores, [B, R]);
  if (!opts.train) return g;

  // ---- triplet loss (src/train/loss.ts)
  const margin = opts.margin ?? 0.25;
  const s = g.op('Slice', [scores, g.constI([0, 0]), g.constI([B, C]), g.constI([0, 1])]); // [B,C]
  const pos = o.sumAxes(o.mul(s, onehot), [1]); // [B]
  const pre = o.shift(o.sub(o.reshape(s, [1, B, C]), o.reshape(pos, [B, 1, 1])), margin); // [B(anchor),B,C]
  g.output('loss', o.meanAxes(g.op('Relu', [pre]), [0, 1, 2]), []);

  // ================= backward =================
  const grads: Record<string, V> = {};
  const active = g.op('Cast', [g.op('Greater', [pre, g.constF([0])])], { to: 1 }); // relu'(pre) [B,B,C]
  const k = 1 / (B * B * C);
  const dpos = o.scale(o.sumAxes(active, [1, 2]), -k); // [B]
  const ds = o.add(o.scale(o.sumAxes(active, [0]), k), o.mul(o.reshape(dpos, [B, 1]), onehot)); // [B,C]
  const dS = o.concat([ds, g.constF(new Float32Array(B), [B, 1])], 1); // [B,R]: the gold slot is dropped by the loss

  // cosine: S = b̂·â;  x̂ = x / max(‖x‖, eps)  ⇒  dx = (dx̂ − x̂ (x̂·dx̂)·[‖x‖ > eps]) / max(‖x‖, eps)
  const normBack = (nv: { vn: V; nrm: V; clamped: V }, dvn: V): V =>
    o.div(o.sub(dvn, o.mul(nv.vn, o.mul(o.sumAxes(o.mul(nv.vn, dvn), [1], true), nv.clamped))), nv.nrm);
  /** A gradient term of an entity vertex: a tensor, a[b,r]·v[b,:] left as (a, v), or dP·W left as (dP, W, Q = dPᵀx). */
  type Term = V | { outer: [V, V] } | { dPW: { dP: V; W: V; Q: V } };
  const outerT = (a: V, v: V, X: Vert): Term => (isLazy(X) ? { outer: [a, v] } : outer(a, v));
  const denseTerm = (t: Term): V => (typeof t === 'string' ? t : 'outer' in t ? outer(...t.outer) : o.matmul(t.dPW.dP, t.dPW.W));
  let dh: { mt: V[]; mi: V[]; et: Term[]; ei: Term[] } = {
    mt: [normBack(a, slotSum(dS, b.vn))], // dâ = Σ_r dS b̂
    et: [normBack(b, outer(dS, a.vn))], // db̂ = dS â
    mi: [],
    ei: [],
  };
  let dEdges: V[][] = [[], [], [], []];

  for (let i = cfg.numLayers - 1; i >= 0; i--) {
    const t = tapes[i];
    const p = `gcn_layers.${i}`;
    const last = i === cfg.numLayers - 1;
    const hv = t.h;
    const dIn = { mt: [] as V[], mi: [] as V[], et: [] as Term[], ei: [] as Term[] };
    const dE: V[][] = [[], [], [], []]; // d ê_k [B,R]
    const edgesHaveGrad = cfg.edgeType === 'dynamic' && i > 0; // the initial edges are inputs
    const pushE = (kk: number, f: () => V): void => {
      if (edgesHaveGrad) dE[kk].push(f());
    };
    // dynamic edges: e' = σ(s + ê), s = (h_v·g_u + c_u)/D'
    if (t.eOut) {
      const dPre = t.eOut.map((eo, kk) => (dEdges[kk].length ? o.mul(o.sum(dEdges[kk]), o.mul(eo, o.sub(g.constF([1]), eo))) : '')); // [B,R]
      dPre.forEach((d, kk) => d && pushE(kk, () => d));
      const [gmt, gmi] = o.split(t.G!, [B, B], 0);
      const [g_mt] = o.split(gmt, [D, 1], 1);
      const [g_mi] = o.split(gmi, [D, 1], 1);
      const zeroBR = g.constF(new Float32Array(B * R), [B, R]);
      const d = dPre.map((x) => (x ? o.scale(x, 1 / Dp) : zeroBR)); // ds_k [B,R]
      const [dtt, dti, dit, dii] = d;
      dIn.et.push(outerT(dtt, g_mt, hv.et), outerT(dit, g_mi, hv.et)); // s_tt, s_it read et
      dIn.ei.push(outerT(dti, g_mt, hv.ei), outerT(dii, g_mi, hv.ei)); // s_ti, s_ii read ei
      const dg_mt = o.add(slotSumV(dtt, hv.et), slotSumV(dti, hv.ei)); // [B,D]
      const dg_mi = o.add(slotSumV(dit, hv.et), slotSumV(dii, hv.ei));
      const dc_mt = o.sumAxes(o.add(dtt, dti), [1], true); // [B,1]
      const dc_mi = o.sumAxes(o.add(dit, dii), [1], true);
      const dGc = o.concat([o.concat([dg_mt, dc_mt], 1), o.concat([dg_mi, dc_mi], 1)], 0); // [2B,D+1]
      const Wv1 = o.concat([param[`${p}.w_v.weight`], o.reshape(param[`${p}.w_v.bias`], [Dp, 1])], 1); // [D',D+1]
      const dFU = o.matmulT(dGc, Wv1); // [2B,D']
      const dWv1 = o.tmatmul(t.FU!, dGc); // [D',D+1]
      const [dWv, dbv] = o.split(dWv1, [D, 1], 1);
      grads[`${p}.w_v.weight`] = dWv;
      grads[`${p}.w_v.bias`] = o.reshape(dbv, [Dp]);
      const HU = o.concat([hv.mt, hv.mi], 0); // [2B,D]
      grads[`${p}.w_u.weight`] = o.tmatmul(dFU, HU);
      grads[`${p}.w_u.bias`] = o.sumAxes(dFU, [0]);
      const [dmtU, dmiU] = o.split(o.matmul(dFU, param[`${p}.w_u.weight`]), [B, B], 0);
      dIn.mt.push(dmtU);
      dIn.mi.push(dmiU);
    }
    // h' = GELU(Y): dY = dh'·(Φ(Y) + Y φ(Y))
    const dHparts = last ? [dh.mt, dh.et] : [dh.mt, dh.mi, dh.et, dh.ei];
    const dH = o.concat(
      dHparts.map((list: Term[], j) => (list.length ? o.sum(list.map(denseTerm)) : g.constF(new Float32Array(t.rows[j] * D), [t.rows[j], D]))),
      0,
    ); // [N,D]
    const pdf = o.scale(g.op('Exp', [o.scale(o.mul(t.Y, t.Y), -0.5)]), 1 / Math.sqrt(2 * Math.PI));
    const dY = o.mul(dH, o.add(t.phi, o.mul(t.Y, pdf)));
    // Y = Ŷγ + β;  Ŷ = (P − μ)·rstd
    grads[`${ln(i)}.weight`] = o.sumAxes(o.mul(dY, t.Yhat), [0]);
    grads[`${ln(i)}.bias`] = o.sumAxes(dY, [0]);
    const dYhat = o.mul(dY, param[`${ln(i)}.weight`]);
    const dP = o.mul(t.rstd, o.sub(o.sub(dYhat, o.meanAxes(dYhat, [1], true)), o.mul(t.Yhat, o.meanAxes(o.mul(dYhat, t.Yhat), [1], true))));
    // P = Z W_hᵀ + b_h
    const Wh = param[`${p}.w_h.weight`];
    const lazyRows = t.parts.some((q) => q.lazy);
    if (lazyRows && edgesHaveGrad) throw new Error('DRIN graph: lazy entity rows after layer 0'); // cannot happen: only layer 0 reads them
    let dZ: (V | undefined)[];
    /** Per lazy part j: its contributions to d mt, d mi (S·W_h) and its residual term. */
    const lazyBack: { mt: V; mi: V; term: Term }[] = [];
    if (!lazyRows) {
      grads[`${p}.w_h.weight`] = o.tmatmul(dP, t.Z);
      dZ = o.split(o.matmul(dP, Wh), t.rows, 0);
    } else {
      // rows that exist as before; a lazy part (a1·mt + a2·mi + x W_eᵀ + b_e) gives W_h
      //   dPᵀ(a1·mt) = S1ᵀ mt with S1 = Σ_r a1 dP_r,  dPᵀ x W_eᵀ = Q W_eᵀ with Q = dPᵀ x,  dPᵀ 1 b_eᵀ;
      //   d mt += S1 W_h, d mi += S2 W_h, and d h_e = dP W_h (kept as the term (dP, W_h, Q))
      const dPs = o.split(dP, t.rows, 0);
      const denseIdx = t.parts.flatMap((q, j) => (q.Z ? [j] : []));
      const dPd = o.concat(
        denseIdx.map((j) => dPs[j]),
        0,
      );
      const gW: V[] = [o.tmatmul(dPd, t.Z)];
      const dZd = o.split(o.matmul(dPd, Wh), denseIdx.map((j) => t.rows[j]), 0);
      dZ = t.parts.map(() => undefined);
      denseIdx.forEach((j, n) => (dZ[j] = dZd[n]));
      t.parts.forEach((q, j) => {
        if (!q.lazy) return;
        const { X, a1, a2 } = q.lazy;
        const dPe = dPs[j];
        const S1 = slotSum(a1, dPe);
        const S2 = slotSum(a2, dPe);
        const Q = o.tmatmul(dPe, X.x); // [D,din]
        gW.push(o.tmatmul(S1, hv.mt), o.tmatmul(S2, hv.mi), o.matmulT(Q, X.W), o.tmatmul(o.sumAxes(dPe, [0], true), o.reshape(X.b, [1, D])));
        lazyBack[j] = { mt: o.matmul(S1, Wh), mi: o.matmul(S2, Wh), term: { dPW: { dP: dPe, W: Wh, Q } } };
      });
      grads[`${p}.w_h.weight`] = o.sum(gW);
    }
    grads[`${p}.w_h.bias`] = o.sumAxes(dP, [0]);
    const [jEt, jEi] = last ? [1, -1] : [2, 3];
    const dA = { mt: dZ[0]!, mi: last ? undefined : dZ[1]!, et: dZ[jEt], ei: last ? undefined : dZ[jEi] };
    // Z = A + h: the residual
    dIn.mt.push(dA.mt);
    dIn.et.push(dA.et ?? lazyBack[jEt].term);
    const [tt, ti, it, ii] = t.e;
    const [ttw, tiw, itw, iiw] = t.ew;
    // A_mt = Σ_r w_r (tt·et + ti·ei)
    dIn.et.push(outerT(ttw, dA.mt, hv.et));
    dIn.ei.push(outerT(tiw, dA.mt, hv.ei));
    pushE(0, () => o.mul(rowDotV(hv.et, dA.mt), w));
    pushE(1, () => o.mul(rowDotV(hv.ei, dA.mt), w));
    // A_et = tt·mt + it·mi
    if (dA.et) {
      const dAet = dA.et;
      pushE(0, () => rowDot(dAet, hv.mt));
      pushE(2, () => rowDot(dAet, hv.mi));
      dIn.mt.push(slotSum(tt, dAet));
      dIn.mi.push(slotSum(it, dAet));
    } else {
      dIn.mt.push(lazyBack[jEt].mt);
      dIn.mi.push(lazyBack[jEt].mi);
    }
    if (!last) {
      dIn.mi.push(dA.mi!);
      dIn.ei.push(dA.ei ?? lazyBack[jEi].term);
      // A_mi = Σ_r w_r (it·et + ii·ei)
      dIn.et.push(outerT(itw, dA.mi!, hv.et));
      dIn.ei.push(outerT(iiw, dA.mi!, hv.ei));
      pushE(2, () => o.mul(rowDotV(hv.et, dA.mi!), w));
      pushE(3, () => o.mul(rowDotV(hv.ei, dA.mi!), w));
      // A_ei = ti·mt + ii·mi
      if (dA.ei) {
        const dAei = dA.ei;
        pushE(1, () => rowDot(dAei, hv.mt));
        pushE(3, () => rowDot(dAei, hv.mi));
        dIn.mt.push(slotSum(ti, dAei));
        dIn.mi.push(slotSum(ii, dAei));
      } else {
        dIn.mt.push(lazyBack[jEi].mt);
        dIn.mi.push(lazyBack[jEi].mi);
      }
    }
    // the last layer's untouched mi / ei pass through to the layer below
    if (last) {
      dIn.mi.push(...dh.mi);
      dIn.ei.push(...dh.ei);
    }
    dh = dIn;
    // ê = e·m_k: gradient to the previous layer's dynamic edges
    dEdges = dE.map((list, kk) => (edgesHaveGrad && list.length && cfg.edgeEnabled[kk] !== 0 ? [o.scale(o.sum(list), cfg.edgeEnabled[kk])] : []));
  }

  // vertex Linears: only the weight gradients (inputs are features)
  const linGrad = (prefix: string, dy: V[], xv: V): void => {
    const d = o.sum(dy);
    grads[`${prefix}.weight`] = o.tmatmul(d, xv);
    grads[`${prefix}.bias`] = o.sumAxes(d, [0]);
  };
  linGrad(DRIN_VERTEX_KEYS.mentionText, dh.mt, x.mt);
  linGrad(DRIN_VERTEX_KEYS.mentionImage, dh.mi, x.mi);
  /** An entity Linear from its terms: tensors as above, (a, v) as vᵀ(Σ_r a x_r), (dP, W, Q) as Wᵀ Q. */
  const linGradTerms = (prefix: string, terms: Term[], xv: V, din: number): void => {
    const dense = terms.filter((t): t is V => typeof t === 'string');
    if (dense.length === terms.length) return linGrad(prefix, dense, xv);
    const gw: V[] = [];
    const gb: V[] = [];
    if (dense.length) {
      const d = o.sum(dense);
      gw.push(o.tmatmul(d, xv));
      gb.push(o.sumAxes(d, [0]));
    }
    const outers = terms.flatMap((t) => (typeof t !== 'string' && 'outer' in t ? [t.outer] : []));
    if (outers.length) {
      gw.push(o.tmatmul(o.concat(outers.map(([, v]) => v), 0), o.concat(outers.map(([a]) => slotSumX(a, xv, din)), 0)));
      gb.push(o.sumAxes(o.concat(outers.map(([a, v]) => o.mul(v, o.sumAxes(a, [1], true))), 0), [0]));
    }
    for (const t of terms) {
      if (typeof t === 'string' || !('dPW' in t)) continue;
      gw.push(o.tmatmul(t.dPW.W, t.dPW.Q));
      gb.push(o.reshape(o.matmul(o.sumAxes(t.dPW.dP, [0], true), t.dPW.W), [D]));
    }
    grads[`${prefix}.weight`] = o.sum(gw);
    grads[`${prefix}.bias`] = o.sum(gb);
  };
  linGradTerms(DRIN_VERTEX_KEYS.entityText, dh.et, x.et, Dt);
  linGradTerms(DRIN_VERTEX_KEYS.entityImage, dh.ei, x.ei, Di);

  if (!opts.adam) {
    for (const key of drinGraphGradKeys(cfg)) g.output(`grad:${key}`, grads[key], paramShape(key));
    return g;
  }
  const { beta1, beta2, eps } = opts.adam;
  for (const key of drinGraphGradKeys(cfg)) {
    const dims = paramShape(key);
    const gk = grads[key];
    const m = o.add(o.mul(g.input(`adam.m:${key}`, dims), g.constF([beta1])), o.mul(gk, g.constF([1 - beta1])));
    const v = o.add(o.mul(g.input(`adam.v:${key}`, dims), g.constF([beta2])), o.mul(o.mul(gk, gk), g.constF([1 - beta2])));
    const denom = o.add(o.div(o.sqrt(v), g.input(`adam.bc2_sqrt:${key}`, [])), g.constF([eps]));
    g.output(`next:${key}`, o.sub(param[key], o.mul(o.div(m, denom), g.input(`adam.step_size:${key}`, []))), dims);
    g.output(`next.m:${key}`, m, dims);
    g.output(`next.v:${key}`, v, dims);
  }
  return g;
}
