/**
 * One DRIN GCN layer (paper §3.4): vertices gather their neighbours through the edges,
 * dynamic edges are recomputed from the vertices of the layer input.
 *
 * B batch, R candidate slots (C + 1, last = gold), D GCN size, D' = D (scalar edges) or D/2 (vector).
 * Edges are [B,R] (scalar) or [B,R,1 | D] (vector); vertices mt, mi [B,D], et, ei [B,R,D].
 *
 *   mention ← mean over slots of edge · entity neighbour   mt ← tt·et, ti·ei     mi ← it·et, ii·ei
 *   entity  ← edge · mention neighbour                      et ← tt·mt, it·mi     ei ← ti·mt, ii·mi
 *   h' = act(LayerNorm(W_h(aggregate + h)))
 *   e'(u, v) = act_e(mean_d(W_u h_u ⊙ W_v h_v) + e)               scalar edges
 *   e'(u, v) = act_e(W_m([W_u h_u ; W_v h_v] + e))                  vector edges
 *
 * W_h, LayerNorm, W_u, W_v (and W_m) are shared by all vertex and edge types within the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { DrinConfig } from './drin-config';
import { DrinEdges } from './edges';
import { drinActivation, drinInitLayerNorm, drinInitLinear, drinLayerNorm, drinLinear, DrinRng } from '../nn';
import { DrinVertices } from './vertices';

/** Add layer `index`'s parameters, in the reference's state_dict order (w_h, w_m, w_u, w_v, layer_norm). */
export function drinInitGcnLayer(params: Map<string, tf.Variable>, index: number, cfg: DrinConfig, rng: DrinRng): void {
  const p = `gcn_layers.${index}`;
  const D = cfg.gcnDim;
  const half = cfg.edgeFeature === 'vector' ? Math.floor(D / 2) : D;
  drinInitLinear(params, `${p}.w_h`, D, D, rng);
  if (cfg.edgeFeature === 'vector') drinInitLinear(params, `${p}.w_m`, D, D, rng);
  drinInitLinear(params, `${p}.w_u`, D, half, rng);
  drinInitLinear(params, `${p}.w_v`, D, half, rng);
  drinInitLayerNorm(params, `${p}.layer_norm`, D);
}

/** edge ⊙ vertex for every slot: e [B,R] or [B,R,1|D], v [B,R,D] or [B,D] (broadcast over slots) → [B,R,D]. */
function edgeTimes(e: tf.Tensor, v: tf.Tensor, scalar: boolean): tf.Tensor {
  const ee = scalar ? e.expandDims(-1) : e; // [B,R,1|D]
  const vv = v.shape.length === 2 ? v.expandDims(1) : v; // [B,1|R,D]
  return ee.mul(vv);
}

/** Mean over slots of edge ⊙ entity vertex → [B,D] (the gold slot left out when `maskGold`). */
function gatherFromEntities(e: tf.Tensor, v: tf.Tensor, scalar: boolean, maskGold: boolean): tf.Tensor {
  const [B, R, D] = v.shape;
  const n = maskGold ? R - 1 : R;
  const es = maskGold ? (scalar ? e.slice([0, 0], [B, n]) : e.slice([0, 0, 0], [B, n, e.shape[2]!])) : e; // drop the last slot
  const vs = maskGold ? v.slice([0, 0, 0], [B, n, D]) : v;
  // elementwise rather than a batched matMul: tfjs-wasm's transposed matMuls (in the gradient) are slow
  const ee = scalar ? es.reshape([B, n, 1]) : es; // [B,R,1|D]
  return ee.mul(vs).mean(1); // [B,R,D] → [B,D]
}

export interface DrinGcnLayerOptions {
  /** The last layer: compute only what the score reads (mention-text and entity-text vertices, no edges). */
  last: boolean;
}

/**
 * Apply GCN layer `index` to vertices `v` and edges `e` (edges already as the layer receives them:
 * this function applies the edge-enable mask itself, as the reference does at every layer input).
 * Returns the new vertices and edges; on the last layer only `mt` and `et` are computed (exact saving:
 * nothing else reaches the score).
 */
export function drinGcnLayer(
  params: Map<string, tf.Variable>,
  index: number,
  cfg: DrinConfig,
  v: DrinVertices,
  edgesIn: DrinEdges,
  opts: DrinGcnLayerOptions,
): { vertices: DrinVertices; edges: DrinEdges; maskedInput: DrinEdges } {
  const p = `gcn_layers.${index}`;
  const scalar = cfg.edgeFeature === 'scalar';
  const act = drinActivation(cfg.vertexActivation);
  const actE = drinActivation(cfg.edgeActivation);
  const e = edgesIn.map((x, k) => (cfg.edgeEnabled[k] === 1 ? x : x.mul(cfg.edgeEnabled[k]))) as DrinEdges;
  const [tt, ti, it, ii] = e;
  // h' = act(LN(W_h(agg + h))) for several vertex types at once: one matMul over all their rows
  const update = (pairs: [tf.Tensor, tf.Tensor][]): tf.Tensor[] => {
    const D = v.mt.shape[1]!;
    const rows = pairs.map(([agg, h]) => agg.add(h).reshape([-1, D])); // [n_i,D]
    const out = act(drinLayerNorm(drinLinear(tf.concat(rows, 0), params, `${p}.w_h`), params, `${p}.layer_norm`, cfg.layerNormEps)); // [Σn_i,D]
    const parts = tf.split(out, rows.map((r) => r.shape[0]!), 0);
    return parts.map((x, i) => x.reshape(pairs[i][1].shape));
  };

  // vertices: aggregate the neighbours through the edges, then W_h, LayerNorm, activation
  const mtAgg = gatherFromEntities(tt, v.et, scalar, cfg.maskGoldSlot).add(gatherFromEntities(ti, v.ei, scalar, cfg.maskGoldSlot)); // [B,D]
  const etAgg = edgeTimes(tt, v.mt, scalar).add(edgeTimes(it, v.mi, scalar)); // [B,R,D]
  if (opts.last) {
    const [mt, et] = update([
      [mtAgg, v.mt],
      [etAgg, v.et],
    ]);
    return { vertices: { mt, et, mi: v.mi, ei: v.ei }, edges: e, maskedInput: e };
  }
  const miAgg = gatherFromEntities(it, v.et, scalar, cfg.maskGoldSlot).add(gatherFromEntities(ii, v.ei, scalar, cfg.maskGoldSlot)); // [B,D]
  const eiAgg = edgeTimes(ti, v.mt, scalar).add(edgeTimes(ii, v.mi, scalar)); // [B,R,D]
  const [mt, mi, et, ei] = update([
    [mtAgg, v.mt],
    [miAgg, v.mi],
    [etAgg, v.et],
    [eiAgg, v.ei],
  ]);
  const vertices = { mt, mi, et, ei };
  if (cfg.edgeType === 'static') return { vertices, edges: e, maskedInput: e };

  // dynamic edges, from the layer's input vertices; W_u / W_v computed once per vertex (exact saving)
  const [fuMt, fuMi] = tf.split(drinLinear(tf.concat([v.mt, v.mi], 0), params, `${p}.w_u`), 2, 0); // 2 × [B,D']
  const [fvEt, fvEi] = tf.split(drinLinear(tf.concat([v.et, v.ei], 0), params, `${p}.w_v`), 2, 0); // 2 × [B,R,D']
  const fu = { mt: fuMt, mi: fuMi };
  const fv = { et: fvEt, ei: fvEi };

  const convolve = (u: tf.Tensor, w: tf.Tensor, edge: tf.Tensor): tf.Tensor => {
    const [B, R, Dh] = w.shape as number[];
    if (scalar) {
      const m = w.mul(u.reshape([B, 1, Dh])).mean(-1); // mean_d(fu ⊙ fv) [B,R]
      return actE(m.add(edge));
    }
    const cat = tf.concat([u.reshape([B, 1, Dh]).tile([1, R, 1]), w], -1); // [B,R,2D']
    return actE(drinLinear(cat.add(edge), params, `${p}.w_m`)); // [B,R,D]
  };
  const edges: DrinEdges = [
    convolve(fu.mt, fv.et, tt),
    convolve(fu.mt, fv.ei, ti),
    convolve(fu.mi, fv.et, it),
    convolve(fu.mi, fv.ei, ii),
  ];
  return { vertices, edges, maskedInput: e };
}
