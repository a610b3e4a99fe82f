/**
 * The `ort` engine of DRIN: the batch tensors and parameters go into one onnxruntime graph
 * (drin-graph.ts, cached per batch shape) that computes the whole step — span and region means,
 * initial edges, vertices, GCN layers, scores, triplet loss and every gradient.
 *
 * Same numbers as the tfjs engine within float32 rounding (`drin parity` checks both).
 *
 * `trainStep` runs Adam inside the same graph (PyTorch's rule, as src/train/adam.ts): no gradient leaves
 * onnxruntime, the moments stay host arrays owned by the `Adam`, the updated parameters are written into
 * reused host buffers and copied once into their tf.Variables.
 */
import * as tf from '@tensorflow/tfjs';
import { heapView, HostStaging } from '../onnx/staging';
import { OrtFeed, OrtSession, OrtSessionOptions } from '../onnx/session';
import { FusedAdamHost } from '../onnx/fused-adam';
import { DrinConfig } from './drin-config';
import type { FusedAdam } from './ranking-model';
import { buildDrinGraph, DrinGraphAdam, DrinGraphShape, drinGraphGradKeys, drinGraphParamKeys } from './drin-graph';
import type { ParamProduct } from './graph/ops';
import { findUniqueRows, uniqueDim, uniqueInputNames } from './graph/unique-rows';
import { DrinBatch, drinCheckBatch, drinEntityTextInputs, drinMentionSpanWeights } from './vertices';

/** Batch tensors the graph reads as they are (besides the entity text forms and the span weights). */
const DRIN_GRAPH_BATCH_INPUTS = [
  'mention_text_feature',
  'mention_image_feature',
  'entity_image_feature',
  'mention_object_feature',
  'mention_object_score',
  'entity_object_feature',
  'entity_object_score',
  'miet_similarity',
  'mtei_similarity',
] as const;

export interface DrinStepResult {
  loss: number;
  /** [B,R] */
  scores: tf.Tensor2D;
  /** Parameter key → gradient (only the parameters PyTorch gives a gradient). */
  grads: Map<string, tf.Tensor>;
}

export class DrinOrtEngine {
  private sessions = new Map<string, OrtSession>();
  /** Host buffers reused from step to step (onnxruntime cannot read the threaded wasm heap, a SharedArrayBuffer). */
  private staging = new HostStaging();
  /** Parameters and moments of the fused Adam step as host buffers, reused from step to step (src/onnx/fused-adam.ts). */
  private fused = new FusedAdamHost((k, t) => this.staging.stage(k, t));

  /**
   * Feed the lazy entity inputs as their distinct rows (graph/unique-rows.ts; default on). Off: every slot's
   * row goes through the layer-0 products (the same scores; tests compare the two).
   */
  uniqueEntityRows = true;
  /** Distinct rows of each entity input fed that way at the last run (of B·R), e.g. for the bench's report. */
  distinctRows: Record<string, number> = {};
  /**
   * Forward passes (`scores`) read the values that depend on the parameters only — layer 0's W_h·W_e
   * products, 3.3 GFLOP at the paper's sizes, 10 % of a WikiMEL forward — from a cache computed once per
   * parameter version (an evaluation pass runs many batches on the same parameters); default on. The same
   * numbers (the same products, computed by a graph of their own); tests compare the two.
   */
  cacheParamProducts = true;
  /** How many times the parameter products were computed (once per parameter version and eval shape). */
  paramProductRuns = 0;
  private productSessions = new Map<string, { session: OrtSession; made: ParamProduct[] }>();
  private paramProductCache?: { version: object[]; values: Record<string, Float32Array> };

  /** `opts.device`: the onnxruntime provider of every session (default the CPU; see src/device.ts). */
  constructor(readonly cfg: DrinConfig, readonly opts: OrtSessionOptions = {}) {}

  private session(shape: DrinGraphShape, train: boolean, margin: number, adam?: DrinGraphAdam): { session: OrtSession; key: string } {
    const products = !train && this.cacheParamProducts;
    const key = `${JSON.stringify(shape.inputs)}:${train ? `train@${margin}` : products ? 'eval:products-in' : 'eval'}${adam ? `:adam@${JSON.stringify(adam)}` : ''}`;
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key); // most recently used last
      this.sessions.set(key, s);
      return { session: s, key };
    }
    // a run meets few shapes (full batch, last batch; train, eval): keep the 4 most recent sessions
    if (this.sessions.size >= 4) {
      const [oldest, old] = this.sessions.entries().next().value as [string, OrtSession];
      old.dispose();
      this.sessions.delete(oldest);
      this.productSessions.get(oldest)?.session.dispose();
      this.productSessions.delete(oldest);
    }
    const seen: ParamProduct[] = [];
    s = new OrtSession(buildDrinGraph(this.cfg, shape, { train, margin, adam, ...(products ? { paramProducts: { mode: 'inputs', seen } } : {}) }).toBytes(), undefined, this.opts);
    this.sessions.set(key, s);
    if (seen.length) {
      // the graph that computes those inputs from the parameters (DrinOps.paramOnly), run once per parameter version
      const made: ParamProduct[] = [];
      const bytes = buildDrinGraph(this.cfg, shape, { train: false, paramProducts: { mode: 'outputs', seen: made } }).toBytes();
      this.productSessions.set(key, { session: new OrtSession(bytes, undefined, this.opts), made });
    }
    return { session: s, key };
  }

  /**
   * Feeds of the parameter products the eval session `key` reads (DrinOps.paramOnly): from the cache while
   * every parameter variable is the one they were computed from (a training step, Adam, a checkpoint load
   * or `assign` replaces it), else computed by the session's product graph and kept.
   */
  private paramProductFeeds(key: string, params: Map<string, tf.Variable>, paramFeeds: Record<string, OrtFeed>): Record<string, OrtFeed> {
    const made = this.productSessions.get(key);
    if (!made) return {};
    const version = drinGraphParamKeys(this.cfg).map((k) => params.get(k)!.dataId);
    const cache = this.paramProductCache;
    if (!cache || cache.version.some((v, i) => v !== version[i])) this.paramProductCache = { version, values: {} }; // the same keys each call
    const values = this.paramProductCache!.values;
    const missing = made.made.filter((m) => !values[m.name]).map((m) => m.name);
    if (missing.length) {
      Object.assign(values, made.session.run(paramFeeds, missing));
      this.paramProductRuns++;
    }
    return Object.fromEntries(made.made.map((m) => [m.name, { data: values[m.name], dims: m.shape }]));
  }

  /**
   * Run the graph on `batch` (with the loss when `margin` is given): the batch tensors it reads (span as
   * weights [B,T]), the current parameters; returns the requested outputs.
   */
  private run(
    params: Map<string, tf.Variable>,
    batch: DrinBatch,
    margin: number | undefined,
    fetch: string[],
    fused?: { adam: DrinGraphAdam; feeds: Record<string, OrtFeed>; into: Record<string, OrtFeed> },
  ): { out: Record<string, Float32Array>; shape: DrinGraphShape } {
    drinCheckBatch(batch);
    const [B, R] = batch.miet_similarity.shape as [number, number];
    const tensors: Record<string, tf.Tensor> = {};
    const batchTensors = new Set(Object.values(batch));
    const temporaries: tf.Tensor[] = [];
    /** `t`, remembered for disposal after the run unless it is one of the batch's own tensors. */
    const own = (t: tf.Tensor): tf.Tensor => {
      if (!batchTensors.has(t)) temporaries.push(t);
      return t;
    };
    const text = drinEntityTextInputs(batch); // [B,R,Dt] each (WikiMEL token features pooled here)
    tensors.entity_text_vector = own(text.vector);
    if (text.raw !== text.vector) tensors.entity_text_raw = own(text.raw);
    tensors.span_weights = own(drinMentionSpanWeights(batch.mention_text_feature.shape[1]!, batch.mention_start_pos, batch.mention_end_pos));
    for (const k of margin === undefined ? DRIN_GRAPH_BATCH_INPUTS : [...DRIN_GRAPH_BATCH_INPUTS, 'answer_onehot']) {
      const t = batch[k];
      tensors[k] = t.dtype === 'float32' ? t : own(t.toFloat());
    }
    for (const k of drinGraphParamKeys(this.cfg)) {
      const p = params.get(k);
      if (!p) throw new Error(`DRIN ort engine: missing parameter '${k}'`);
      tensors[k] = p;
    }
    try {
      // every tensor exists now: copy out (lazy entity inputs as their distinct rows), run
      const feeds: Record<string, OrtFeed> = { ...fused?.feeds };
      const inputs: DrinGraphShape['inputs'] = {};
      const distinct = this.uniqueEntityRows ? this.distinctInputs(B * R) : new Set<string>();
      this.distinctRows = {};
      for (const [k, t] of Object.entries(tensors)) {
        if (distinct.has(k)) {
          const u = this.stageUnique(k, t, B, R);
          Object.assign(feeds, u.feeds);
          Object.assign(inputs, u.inputs);
          continue;
        }
        feeds[k] = { data: params.has(k) ? this.fused.paramData(k, params.get(k)!) : this.staging.stage(k, t), dims: t.shape };
        if (!params.has(k) && k !== 'answer_onehot') inputs[k] = t.shape;
      }
      const shape: DrinGraphShape = { B, R, inputs };
      const { session, key } = this.session(shape, margin !== undefined, margin ?? 0, fused?.adam);
      if (margin === undefined) Object.assign(feeds, this.paramProductFeeds(key, params, feeds));
      const out = session.run(feeds, fetch, fused?.into);
      return { out, shape };
    } finally {
      temporaries.forEach((t) => t.dispose());
    }
  }

  /**
   * The entity inputs fed as their distinct rows (graph/unique-rows.ts): those whose vertex is lazy in layer 0
   * (B·R rows outnumber the Linear's input width), where the product per distinct row saves work.
   */
  private distinctInputs(rows: number): Set<string> {
    const out = new Set<string>();
    if (rows > this.cfg.bertDim) out.add('entity_text_vector');
    if (rows > this.cfg.resnetDim) out.add('entity_image_feature');
    return out;
  }

  /** `t` [B,R,...rest] as `name.unique` [N,...rest] (its distinct rows, first appearance first) and `name.index` [B,R]. */
  private stageUnique(name: string, t: tf.Tensor, B: number, R: number): { feeds: Record<string, OrtFeed>; inputs: DrinGraphShape['inputs'] } {
    const rest = t.shape.slice(2);
    const width = rest.reduce((a, b) => a * b, 1);
    const data = heapView(t) ?? this.staging.stage(name, t); // the wasm heap is read in place: no tfjs allocation until the copy below
    const { first, index } = findUniqueRows(data, B * R, width);
    this.distinctRows[name] = first.length;
    const names = uniqueInputNames(name);
    const buf = this.staging.atLeast(names.unique, data.length);
    first.forEach((row, u) => buf.set(data.subarray(row * width, (row + 1) * width), u * width));
    return {
      feeds: { [names.unique]: { data: buf.subarray(0, first.length * width), dims: [first.length, ...rest] }, [names.index]: { data: index, dims: [B, R] } },
      inputs: { [names.unique]: [uniqueDim(name, first.length < rest[rest.length - 1]), ...rest], [names.index]: [B, R] },
    };
  }

  /** Scores [B,R] (no gradients). */
  scores(params: Map<string, tf.Variable>, batch: DrinBatch): tf.Tensor2D {
    const { out, shape } = this.run(params, batch, undefined, ['scores']);
    return tf.tensor2d(out.scores, [shape.B, shape.R]);
  }

  /** Loss, scores and gradients of the triplet loss with `margin`. */
  step(params: Map<string, tf.Variable>, batch: DrinBatch, margin: number): DrinStepResult {
    if (!batch.answer_onehot) throw new Error('DRIN ort engine: the batch has no answer_onehot (needed for the loss)');
    const keys = drinGraphGradKeys(this.cfg);
    const { out, shape } = this.run(params, batch, margin, ['loss', 'scores', ...keys.map((k) => `grad:${k}`)]);
    const grads = new Map<string, tf.Tensor>();
    for (const k of keys) grads.set(k, tf.tensor(out[`grad:${k}`], params.get(k)!.shape));
    return { loss: out.loss[0], scores: tf.tensor2d(out.scores, [shape.B, shape.R]), grads };
  }

  /**
   * One training step with Adam inside the graph (PyTorch's rule, the same float32 ops as adam.ts):
   * loss, scores, and the parameters and `adam`'s moments updated in place — no gradient leaves
   * onnxruntime, and the parameters are copied out of tfjs only when something else changed them.
   * Returns the loss and the scores [B,R] computed before the update.
   */
  trainStep(params: Map<string, tf.Variable>, batch: DrinBatch, margin: number, adam: FusedAdam): { loss: number; scores: tf.Tensor2D } {
    if (!batch.answer_onehot) throw new Error('DRIN ort engine: the batch has no answer_onehot (needed for the loss)');
    const { beta1, beta2, eps } = adam.opts;
    const step = this.fused.prepare(params, drinGraphGradKeys(this.cfg), adam);
    const { out, shape } = this.run(params, batch, margin, ['loss', 'scores'], { adam: { beta1, beta2, eps }, feeds: step.feeds, into: step.into });
    step.commit();
    return { loss: out.loss[0], scores: tf.tensor2d(out.scores, [shape.B, shape.R]) };
  }

  dispose(): void {
    this.sessions.forEach((s) => s.dispose());
    this.sessions.clear();
    this.productSessions.forEach((p) => p.session.dispose());
    this.productSessions.clear();
    this.paramProductCache = undefined;
    this.staging.clear();
    this.fused.clear();
  }
}
