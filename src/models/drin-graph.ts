/**
 * DRIN as one ONNX graph: forward, triplet loss, the hand-derived backward pass and (optionally) Adam,
 * run by onnxruntime's native CPU kernels (src/onnx). The same model as drin.ts; this file only assembles
 * the graph blocks, each beside its tfjs twin and each with its derivation in its header:
 *
 *   graph/vertices.ts   the vertex features and Linears (+ lazy entity vertices)   twin ../vertices.ts
 *   graph/edges.ts      the initial edges (forward only: data)                      twin ../edges.ts
 *   graph/gcn-layer.ts  a GCN layer, incl. the dynamic edge update                  twin ../gcn-layer.ts
 *   graph/loss.ts       cosine score + triplet loss                                 twin drin.ts, train/loss.ts
 *   graph/adam.ts       the Adam update                                             twin train/adam.ts
 *   graph/ops.ts        the ops they are written in
 *
 * B batch, R slots (C + 1, last = gold), D GCN size, Dt BERT, Di ResNet. Inputs: the batch (CONTRACTS §3
 * names; entity text as its vector / raw forms, the span as weights [B,T]) and the parameters.
 *
 * Supported: scalar edges, dynamic or static, any edge mask, any number of layers, maskGoldSlot,
 * GELU (erf) vertices, sigmoid edges — the paper's family (drin-support.ts). Other configurations use the tfjs engine.
 */
import { OnnxGraph } from '../onnx/graph';
import { DrinConfig } from './drin-config';
import { DRIN_VERTEX_KEYS } from './vertices';
import { drinOrtUnsupported } from './drin-support';
import { adamUpdate, DrinGraphAdam } from './graph/adam';
import { initialEdgesForward } from './graph/edges';
import { GcnLayerTape, gcnLayerBackward, gcnLayerForward } from './graph/gcn-layer';
import { scoreBackward, scoreForward, tripletLossBackward, tripletLossForward } from './graph/loss';
import { BatchInputs, DrinGraphContext, DrinOps, ParamProducts, Value } from './graph/ops';
import { isLazy, vertexBackward, vertexFeatures, vertexForward, VertexGrads } from './graph/vertices';

export type { DrinGraphAdam } from './graph/adam';

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
    keys.push(
      `${p}.w_h.weight`,
      `${p}.w_h.bias`,
      `${p}.w_u.weight`,
      `${p}.w_u.bias`,
      `${p}.w_v.weight`,
      `${p}.w_v.bias`,
      `${p}.layer_norm.weight`,
      `${p}.layer_norm.bias`,
    );
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

/** A parameter's shape from its state_dict key (scalar edges: W_u, W_v are D → D). */
export function drinGraphParamShape(cfg: DrinConfig, key: string): number[] {
  const D = cfg.gcnDim;
  const prefix = key.replace(/\.(weight|bias)$/, '');
  const isBias = key.endsWith('.bias');
  const vertexInput: Record<string, number> = {
    [DRIN_VERTEX_KEYS.mentionText]: cfg.bertDim,
    [DRIN_VERTEX_KEYS.entityText]: cfg.bertDim,
    [DRIN_VERTEX_KEYS.mentionImage]: cfg.resnetDim,
    [DRIN_VERTEX_KEYS.entityImage]: cfg.resnetDim,
  };
  if (prefix.endsWith('layer_norm')) return [D];
  return isBias ? [D] : [D, vertexInput[prefix] ?? D];
}

export interface DrinGraphShape {
  B: number;
  R: number;
  /**
   * Shapes of the graph's batch inputs (drin-ort.ts feeds them); `entity_text_raw` absent = same as the vector.
   * An entity input may come as its distinct rows (`name.unique` [N,...], N a symbolic dim, and `name.index`
   * [B,R]: graph/unique-rows.ts).
   */
  inputs: Record<string, (number | string)[]>;
}

/**
 * Build the graph for one batch shape. Always outputs `scores` [B,R]; `train`: also `loss` (margin
 * `margin`) and `grad:<key>` for every key of `drinGraphGradKeys`, or, with `adam`, the updated
 * parameters and moments instead of the gradients (graph/adam.ts).
 *
 * `paramProducts` (forward-only graphs; DrinOps.paramOnly): 'inputs' reads the values that depend on the
 * parameters only (layer 0's W_h·W_e products) from graph inputs; 'outputs' builds the graph that computes
 * them (its only outputs; no `scores`). Both list them in `seen`.
 */
export function buildDrinGraph(
  cfg: DrinConfig,
  shape: DrinGraphShape,
  opts: { train: boolean; margin?: number; adam?: DrinGraphAdam; paramProducts?: ParamProducts },
): OnnxGraph {
  const why = drinGraphUnsupported(cfg);
  if (why) throw new Error(`DRIN graph: unsupported configuration (${why})`);
  if (opts.paramProducts && opts.train) throw new Error('DRIN graph: parameter products come from outside only in a forward-only graph');
  const { B, R } = shape;
  const graph = new OnnxGraph('drin');
  const ops = new DrinOps(graph, B, R, cfg.gcnDim);
  ops.paramProducts = opts.paramProducts;
  const inputs = new BatchInputs(graph, shape.inputs);

  // forward: features and initial edges (data), parameters, vertices, layers, score
  const { features, entityTextRaw } = vertexFeatures(ops, inputs, cfg.bertDim, cfg.resnetDim);
  let edges = initialEdgesForward(ops, inputs, features.mt, entityTextRaw, cfg.cosineEps);
  const param: Record<string, Value> = {};
  for (const k of drinGraphParamKeys(cfg)) param[k] = graph.input(k, drinGraphParamShape(cfg, k));
  const onehot = opts.train ? graph.input('answer_onehot', [B, R - 1]) : '';
  const ctx: DrinGraphContext = { ops, cfg, param };
  let vertices = vertexForward(ctx, features);
  const tapes: GcnLayerTape[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const out = gcnLayerForward(ctx, i, vertices, edges);
    tapes.push(out.tape);
    vertices = out.vertices;
    edges = out.edges;
  }
  if (isLazy(vertices.et)) throw new Error('DRIN graph: the score reads a lazy entity vertex'); // cannot happen: layers ≥ 1
  const score = scoreForward(ops, vertices.mt, vertices.et, cfg.cosineEps);
  if (opts.paramProducts?.mode === 'outputs') return graph;
  graph.output('scores', score.scores, [B, R]);
  if (!opts.train) return graph;
  const triplet = tripletLossForward(ops, score.scores, onehot, opts.margin ?? 0.25);
  graph.output('loss', triplet.loss, []);

  // backward, block by block in reverse; gradient terms are summed where they are read
  const grads: Record<string, Value> = {};
  const dScore = scoreBackward(ops, score.tape, tripletLossBackward(ops, triplet.tape, onehot));
  let dVertices: VertexGrads = { mt: [dScore.mention], et: [dScore.entity], mi: [], ei: [] };
  let dEdges: Value[][] = [[], [], [], []];
  for (let i = cfg.numLayers - 1; i >= 0; i--) {
    const back = gcnLayerBackward(ctx, tapes[i], dVertices, dEdges, grads);
    dVertices = back.vertices;
    dEdges = back.edges;
  }
  vertexBackward(ctx, features, dVertices, grads);

  for (const key of drinGraphGradKeys(cfg)) {
    const dims = drinGraphParamShape(cfg, key);
    if (opts.adam) adamUpdate(ops, opts.adam, key, param[key], grads[key], dims);
    else graph.output(`grad:${key}`, grads[key], dims);
  }
  return graph;
}
