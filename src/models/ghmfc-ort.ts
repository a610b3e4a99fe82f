/**
 * The `ort` engine of GHMFC: one onnxruntime call per training step (ghmfc-graph.ts: forward, triplet
 * loss and the generated backward pass), sessions cached per batch shape. The parameter-free parts —
 * the key padding mask, the span mask, the entity text pooling — are done in tfjs before the call.
 * `trainStep` runs Adam inside the same call (graph/adam.ts, src/onnx/fused-adam.ts): no gradient
 * leaves onnxruntime, the moments stay host arrays, the parameters are copied once into their variables.
 *
 * Memory: before a shape's first session is built, the step's memory is estimated from the graph's
 * shapes (`ghmfcStepMemory`) and checked against what the machine has free; a step that cannot fit
 * fails at once, naming the bytes it needs, instead of stalling.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { FusedAdamHost, FusedAdamState } from '../onnx/fused-adam';
import { HostStaging } from '../onnx/staging';
import { OrtFeed, OrtRunOptions, OrtSession, OrtSessionOptions } from '../onnx/session';
import type { GhmfcConfig } from './ghmfc';
import { buildGhmfcGraph, GhmfcGraphShape, ghmfcGraphInputs, ReassociateAttention } from './ghmfc-graph';
import type { DrinGraphAdam } from './graph/adam';

/** Options of the engine. */
export interface GhmfcOrtOptions {
  /** Dropout in the training step (a fresh mask per step), as `scores(batch, { training: true })` does; false = eval mode. */
  dropout?: boolean;
  /** Seed of the dropout masks (default 0): the same seed and batches give the same training run. */
  dropoutSeed?: number;
  /**
   * Where the sessions run (default the CPU), already resolved: `createGhmfc` turns its `device` request into
   * this with `resolveOrtDevice` (src/device.ts), as DRIN's ort engine. Ignored when `session` is given.
   */
  device?: 'cpu' | 'cuda';
  /** The sessions' onnxruntime options: threads, CUDA device index, TF32 (src/onnx/session.ts; the CLI: DRIN_ORT_*), as DRIN's ort engine. */
  ort?: OrtRunOptions;
  /**
   * How a session is made from the serialised graph: pass one to choose onnxruntime's execution
   * providers or threads yourself; default: `device` and `ort` above (the CPU, every core).
   */
  session?: (model: Uint8Array) => OrtSession;
  /**
   * Idle intra-op threads spin between ops (default true, onnxruntime's own default): 2–3 % faster on an idle
   * machine; false (they sleep) takes ≈ 15 % less CPU per step on a busy one (environment.md "Baselines speed").
   * Ignored when `session` is given.
   */
  allowSpinning?: boolean;
  /** Bytes a step may use (default: the machine's free memory when the shape is first met). */
  memoryLimitBytes?: number;
  /** GhmfcGraphOptions.reassociateAttention (default 'when-cheaper'). */
  reassociateAttention?: ReassociateAttention;
}

export interface GhmfcStepResult {
  loss: number;
  /** [B,R] */
  scores: tf.Tensor2D;
  /** state_dict key → gradient. */
  grads: Map<string, tf.Tensor>;
}

/** Node, the wasm heap's own overhead and onnxruntime, before any tensor (measured: ≈ 1 GiB). */
const RUNTIME_BYTES = 2 ** 30;

/**
 * Memory of one training step at `shape`, from the graph's shapes: the forward values (all kept for the
 * backward pass) × 1.5 for the backward's working set, plus the parameters eight times over (the fused
 * step, `trainStep`: tfjs variables, the host copy and the buffer the update is written into, Adam's two
 * moments and their two output buffers, the gradients inside onnxruntime), plus 1 GiB for the
 * runtimes (Node, the wasm heap, onnxruntime). Calibrated on full-width GHMFC: estimate 8.7 GiB at batch
 * 64 (4.2 at 16) against a measured peak RSS of the whole process of 5.7–6.2 GiB with the fused step
 * (6.4–6.9 GiB before it; 4.1 at 16).
 */
export function ghmfcStepMemory(c: GhmfcConfig, paramShapes: Map<string, number[]>, shape: GhmfcGraphShape): { graphBytes: number; paramBytes: number; totalBytes: number } {
  const graph = buildGhmfcGraph(c, paramShapes, shape, { train: true, margin: 0.25, dropout: c.dropout > 0 });
  const graphBytes = 1.5 * graph.forwardBytes;
  let n = 0;
  paramShapes.forEach((s) => (n += s.reduce((a, b) => a * b, 1)));
  const paramBytes = 8 * 4 * n;
  return { graphBytes, paramBytes, totalBytes: graphBytes + paramBytes + RUNTIME_BYTES };
}

const GB = 2 ** 30;

export class GhmfcOrtEngine {
  private sessions = new Map<string, OrtSession>();
  /** Host buffers reused from step to step (onnxruntime cannot read the threaded wasm heap, a SharedArrayBuffer). */
  private staging = new HostStaging();
  private checked = new Set<string>();
  private fused = new FusedAdamHost((k, t) => this.staging.stage(k, t));

  constructor(
    readonly cfg: GhmfcConfig,
    readonly params: Map<string, tf.Variable>,
    /** The pooled entity text [B,R,Dt] of a batch (ghmfc.ts `ghmfcEntityText`). */
    private readonly entityText: (batch: Record<string, tf.Tensor>) => tf.Tensor3D,
    readonly opts: GhmfcOrtOptions = {},
  ) {}

  private paramShapes(): Map<string, number[]> {
    return new Map([...this.params].map(([k, v]) => [k, v.shape]));
  }

  /** Throw, before anything runs, when a training step at `shape` cannot fit in memory. */
  checkMemory(shape: GhmfcGraphShape): void {
    const key = JSON.stringify(shape);
    if (this.checked.has(key)) return;
    const m = ghmfcStepMemory(this.cfg, this.paramShapes(), shape);
    const limit = this.opts.memoryLimitBytes ?? os.freemem();
    if (m.totalBytes > limit) {
      throw new Error(
        `GHMFC ort engine: a training step at batch ${shape.B} (T ${shape.T}, regions ${shape.N}, slots ${shape.R}, BERT ${this.cfg.bertDim}, ResNet ${this.cfg.resnetDim}) ` +
          `needs about ${(m.totalBytes / GB).toFixed(1)} GB (graph ${(m.graphBytes / GB).toFixed(1)} GB, parameters with gradients and Adam ${(m.paramBytes / GB).toFixed(1)} GB); ` +
          `${(limit / GB).toFixed(1)} GB are available. Use a smaller batch.`,
      );
    }
    this.checked.add(key);
  }

  /** The options of the sessions this engine makes without a `session` hook: `device` (default the CPU), `ort`, spinning. */
  sessionOptions(): OrtSessionOptions {
    return { ...this.opts.ort, device: this.opts.device ?? 'cpu', allowSpinning: this.opts.allowSpinning ?? true };
  }

  private session(shape: GhmfcGraphShape, train: boolean, margin: number, adam?: DrinGraphAdam): OrtSession {
    const key = `${JSON.stringify(shape)}:${train ? `train@${margin}` : 'eval'}${adam ? `:adam@${JSON.stringify(adam)}` : ''}`;
    let s = this.sessions.get(key);
    if (s) {
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    if (train) this.checkMemory(shape);
    // each session keeps its own memory arena (GBs at full width): hold two (a run's train and eval shapes)
    if (this.sessions.size >= 2) {
      const [oldest, old] = this.sessions.entries().next().value as [string, OrtSession];
      old.dispose();
      this.sessions.delete(oldest);
    }
    const graph = buildGhmfcGraph(this.cfg, this.paramShapes(), shape, { train, margin, dropout: this.opts.dropout ?? true, dropoutSeed: this.opts.dropoutSeed, adam, reassociateAttention: this.opts.reassociateAttention });
    s = this.opts.session ? this.opts.session(graph.toBytes()) : new OrtSession(graph.toBytes(), undefined, this.sessionOptions());
    this.sessions.set(key, s);
    return s;
  }

  /** The graph's batch inputs, computed in tfjs (the caller disposes them). */
  private batchInputs(batch: Record<string, tf.Tensor>, withLabels: boolean): { tensors: Record<string, tf.Tensor>; shape: GhmfcGraphShape } {
    const need = (k: string) => {
      const t = batch[k];
      if (!t) throw new Error(`GHMFC ort engine: the batch has no '${k}' (have: ${Object.keys(batch).join(', ')})`);
      return t;
    };
    const text = need('mention_text_feature');
    if (text.rank !== 3 || text.shape[2] !== this.cfg.bertDim) throw new Error(`GHMFC ort engine: mention_text_feature must be [B,T,${this.cfg.bertDim}], got [${text.shape}]`);
    const [B, T] = text.shape as [number, number, number];
    const names = new Set(ghmfcGraphInputs(this.cfg));
    const tensors: Record<string, tf.Tensor> = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = { mention_text_feature: text.toFloat() };
      if (names.has('text_key_mask')) {
        const pad = tf.equal(need('mention_text_mask'), 0).reshape([B, 1, 1, T]);
        out.text_key_mask = tf.where(pad, tf.fill([B, 1, 1, T], -Infinity), tf.zeros([B, 1, 1, T]));
      }
      if (names.has('mention_image_feature')) out.mention_image_feature = need('mention_image_feature').toFloat();
      if (names.has('span_mask')) {
        const pos = tf.range(0, T, 1, 'int32').reshape([1, T]);
        const inSpan = tf.logicalAnd(
          tf.greaterEqual(pos, need('mention_start_pos').cast('int32').reshape([-1, 1])),
          tf.less(pos, need('mention_end_pos').cast('int32').reshape([-1, 1])),
        ).cast('float32'); // [B,T]
        out.span_mask = inSpan.reshape([B, T, 1]);
        out.span_count = tf.sum(inSpan, 1, true);
      }
      out.entity_text = this.entityText(batch).toFloat();
      if (withLabels) out.answer_onehot = need('answer_onehot').toFloat();
      return out;
    });
    const R = tensors.entity_text.shape[1]!;
    const N = names.has('mention_image_feature') ? tensors.mention_image_feature.shape[1]! : 0;
    return { tensors, shape: { B, T, N, R } };
  }

  private run(
    batch: Record<string, tf.Tensor>,
    margin: number | undefined,
    fetch: string[],
    adam?: FusedAdamState,
  ): { out: Record<string, Float32Array>; shape: GhmfcGraphShape } {
    const { tensors, shape } = this.batchInputs(batch, margin !== undefined);
    try {
      const graphAdam = adam && { beta1: adam.opts.beta1, beta2: adam.opts.beta2, eps: adam.opts.eps };
      const session = this.session(shape, margin !== undefined, margin ?? 0, graphAdam);
      const feeds: Record<string, OrtFeed> = {};
      for (const [k, t] of Object.entries(tensors)) feeds[k] = { data: this.staging.stage(k, t), dims: t.shape };
      if (!adam) {
        for (const [k, p] of this.params) feeds[k] = { data: this.fused.paramData(k, p), dims: p.shape };
        return { out: session.run(feeds, fetch), shape };
      }
      const step = this.fused.prepare(this.params, [...this.params.keys()], adam);
      const out = session.run({ ...feeds, ...step.feeds }, fetch, step.into);
      step.commit();
      return { out, shape };
    } finally {
      Object.values(tensors).forEach((t) => t.dispose());
    }
  }

  /** Scores [B,R] (eval mode, no gradients). */
  scores(batch: Record<string, tf.Tensor>): tf.Tensor2D {
    const { out, shape } = this.run(batch, undefined, ['scores']);
    return tf.tensor2d(out.scores, [shape.B, shape.R]);
  }

  /** Loss, scores and every parameter's gradient of the triplet loss with `margin`. */
  step(batch: Record<string, tf.Tensor>, margin: number): GhmfcStepResult {
    const keys = [...this.params.keys()];
    const { out, shape } = this.run(batch, margin, ['loss', 'scores', ...keys.map((k) => `grad:${k}`)]);
    const grads = new Map<string, tf.Tensor>();
    for (const k of keys) grads.set(k, tf.tensor(out[`grad:${k}`], this.params.get(k)!.shape));
    return { loss: out.loss[0], scores: tf.tensor2d(out.scores, [shape.B, shape.R]), grads };
  }

  /**
   * One training step with Adam inside the graph (PyTorch's rule, the same float32 ops as src/train/adam.ts):
   * the parameters and `adam`'s moments are updated in place. Returns the loss and the scores [B,R]
   * computed before the update.
   */
  trainStep(batch: Record<string, tf.Tensor>, margin: number, adam: FusedAdamState): { loss: number; scores: tf.Tensor2D } {
    const { out, shape } = this.run(batch, margin, ['loss', 'scores'], adam);
    return { loss: out.loss[0], scores: tf.tensor2d(out.scores, [shape.B, shape.R]) };
  }

  dispose(): void {
    this.sessions.forEach((s) => s.dispose());
    this.sessions.clear();
    this.staging.clear();
    this.fused.clear();
  }
}
