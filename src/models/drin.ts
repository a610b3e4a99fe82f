/**
 * DRIN: Dynamic Relation Interactive Network for multimodal entity linking (Xing et al., ACM MM 2023).
 *
 * B batch, R candidate slots (C + 1, the last holds the gold entity), D GCN size.
 *
 *   vertices  mention text, mention image, entity text, entity image        (vertices.ts)
 *   edges     text–text, text–image, image–text, image–image per slot       (edges.ts)
 *   GCN       numLayers layers of vertex aggregation + dynamic edges         (gcn-layer.ts)
 *   score     cosine(final mention-text vertex, final entity-text vertex)   [B,R]
 */
import * as tf from '@tensorflow/tfjs';
import type { FusedAdam, RankingModel } from './ranking-model';
import { DRIN_DEFAULTS, DrinConfig, drinConfig } from './drin-config';
import { DrinEdges, drinInitialEdges } from './edges';
import { drinOrtUnsupported } from './drin-support';
import { resolveModelEngine } from './engine-choice';
import { DrinOrtEngine } from './drin-ort';
import { ortUnavailable, type OrtRunOptions } from '../onnx/session';
import { DeviceName, DeviceRequest, resolveOrtDevice, resolveTfjsDevice } from '../device';
import { drinGcnLayer, drinInitGcnLayer } from './gcn-layer';
import { drinCosine, drinRng, drinInitLinear } from '../nn';
import { DRIN_VERTEX_KEYS, DrinBatch, drinCheckBatch, drinEncodeVertices, drinEntityTextInputs, drinMentionSpanMean } from './vertices';

export interface DrinForwardResult {
  /** [B,R] cosine scores. */
  scores: tf.Tensor2D;
  /** Per layer input, the four (masked) edges [tt, ti, it, ii] ([B,R] or [B,R,1|D]); only with `collectEdges`. */
  layerEdges?: DrinEdges[];
}

/** Create DRIN's parameters (PyTorch state_dict keys and order), PyTorch default init from a seeded generator. */
export function initDrinParams(cfg: DrinConfig, seed = 0): Map<string, tf.Variable> {
  const rng = drinRng(`drin-${seed}`);
  const params = new Map<string, tf.Variable>();
  drinInitLinear(params, DRIN_VERTEX_KEYS.mentionText, cfg.bertDim, cfg.gcnDim, rng);
  drinInitLinear(params, DRIN_VERTEX_KEYS.entityText, cfg.bertDim, cfg.gcnDim, rng);
  drinInitLinear(params, DRIN_VERTEX_KEYS.mentionImage, cfg.resnetDim, cfg.gcnDim, rng);
  drinInitLinear(params, DRIN_VERTEX_KEYS.entityImage, cfg.resnetDim, cfg.gcnDim, rng);
  for (let i = 0; i < cfg.numLayers; i++) drinInitGcnLayer(params, i, cfg, rng);
  return params;
}

/**
 * The DRIN forward pass: scores [B,R] for a batch (either entity-text form, CONTRACTS §3).
 * Call inside `tf.tidy` (or a gradient function); intermediate tensors are not disposed here.
 */
export function drinForward(
  params: Map<string, tf.Variable>,
  cfg: DrinConfig,
  batch: DrinBatch,
  opts: { collectEdges?: boolean } = {},
): DrinForwardResult {
  drinCheckBatch(batch);
  const span = drinMentionSpanMean(batch.mention_text_feature, batch.mention_start_pos, batch.mention_end_pos); // [B,Dt]
  const text = drinEntityTextInputs(batch); // vector, raw: [B,R,Dt]
  let vertices = drinEncodeVertices(params, span, text.vector, batch); // mt, mi [B,D]; et, ei [B,R,D]
  let edges = drinInitialEdges(batch, span, text.raw, cfg.cosineEps); // 4 × [B,R]
  if (cfg.edgeFeature === 'vector') edges = edges.map((e) => e.expandDims(-1)) as DrinEdges; // [B,R,1], broadcast over D
  const layerEdges: DrinEdges[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const out = drinGcnLayer(params, i, cfg, vertices, edges, { last: i === cfg.numLayers - 1 });
    if (opts.collectEdges) layerEdges.push(out.maskedInput);
    vertices = out.vertices;
    edges = out.edges;
  }
  const [B, D] = vertices.mt.shape;
  const scores = drinCosine(vertices.mt.reshape([B, 1, D]), vertices.et, cfg.cosineEps) as tf.Tensor2D; // [B,R]
  return opts.collectEdges ? { scores, layerEdges } : { scores };
}

/**
 * Where DRIN's training step runs. `ort`: one onnxruntime graph per step (drin-graph.ts, native
 * multi-threaded CPU kernels); `tfjs`: tfjs ops with tfjs's autodiff (any backend, every option).
 */
export type DrinEngineName = 'ort' | 'tfjs';

/** A DRIN instance: a RankingModel plus its configuration and the engine it runs on. */
export interface DrinModel extends RankingModel {
  config: DrinConfig;
  engine: DrinEngineName;
  /** Where it runs: the onnxruntime provider (ort engine) or the tfjs backend's device (tfjs engine). */
  device: DeviceName;
  /** Why this engine and device (e.g. why `ort` was passed over, why not CUDA). */
  engineNote: string;
}

/**
 * Pick the engine: `requested` (the CLI and notebooks pass `DRIN_ENGINE`), where `auto` = `ort` unless tfjs runs
 * on a native backend (tfjs-node / GPU), onnxruntime-node cannot load, or the configuration is outside the
 * graph's family (drin-support.ts).
 */
export function resolveDrinEngine(cfg: DrinConfig, requested: 'auto' | DrinEngineName = 'auto', device?: DeviceRequest): { engine: DrinEngineName; note: string } {
  return resolveModelEngine('DRIN', requested, device, requested === 'tfjs' ? undefined : (drinOrtUnsupported(cfg) ?? ortUnavailable()));
}

/** Where and how a DRIN model runs (the CLI and notebooks pass `readDrinEnv().drin`: DRIN_ENGINE, DRIN_DEVICE, DRIN_ORT_*). */
export interface DrinEngineOptions {
  /** `auto` (default), `ort` or `tfjs` ({@link resolveDrinEngine}). */
  engine?: 'auto' | DrinEngineName;
  /** `auto` (default), `cpu` or `cuda` (src/device.ts). */
  device?: DeviceRequest;
  /** The ort engine's onnxruntime options: threads, CUDA device index, TF32 (src/onnx/session.ts). */
  ort?: OrtRunOptions;
}

/**
 * Create a DRIN model (seeded PyTorch-style init). `extras(batch).edges` is [B, layers, 4]: the mean
 * edge values [tt, ti, it, ii] of the gold slot at each layer's input, for error analysis.
 *
 * ```ts
 * const model = createDrin({ bertDim: 768, resnetDim: 2048, gcnDim: 768 }, 0); // engine: auto
 * const scores = tf.tidy(() => model.scores(batch)); // [B,R]
 * ```
 */
export function createDrin(config: Partial<DrinConfig> = {}, seed = 0, opts: DrinEngineOptions = {}): DrinModel {
  const cfg = drinConfig({ ...DRIN_DEFAULTS, ...config });
  const { engine, note } = resolveDrinEngine(cfg, opts.engine, opts.device);
  // device: `opts.device`, else auto (CUDA when onnxruntime's provider passes its check)
  const dev = engine === 'ort' ? resolveOrtDevice(opts.device) : resolveTfjsDevice(opts.device);
  const params = initDrinParams(cfg, seed);
  const ort = engine === 'ort' ? new DrinOrtEngine(cfg, { ...opts.ort, device: dev.device }) : undefined;
  return {
    name: 'drin',
    config: cfg,
    engine,
    device: dev.device,
    engineNote: `${note} ${dev.note}`,
    params,
    // the ort engine's scores carry no tape: training goes through lossAndGrads
    scores: (batch) => (ort ? ort.scores(params, batch) : tf.tidy(() => drinForward(params, cfg, batch).scores)),
    ...(ort
      ? {
          lossAndGrads: (batch: DrinBatch, margin: number) => ort.step(params, batch, margin),
          trainStepFused: (batch: DrinBatch, margin: number, adam: FusedAdam) => ort.trainStep(params, batch, margin, adam),
        }
      : {}),
    extras: (batch) =>
      tf.tidy(() => {
        const { layerEdges } = drinForward(params, cfg, batch, { collectEdges: true });
        const perLayer = layerEdges!.map((es) => {
          const gold = es.map((e) => {
            const [B, R] = e.shape;
            const slot = e.shape.length === 2 ? e.slice([0, R - 1], [B, 1]) : e.slice([0, R - 1, 0], [B, 1, e.shape[2]!]).mean(-1);
            return slot.reshape([B]); // [B]
          });
          return tf.stack(gold, 1); // [B,4]
        });
        return { edges: tf.stack(perLayer, 1) }; // [B,layers,4]
      }),
  };
}
