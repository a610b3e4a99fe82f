/**
 * The host side of a training step with Adam inside the onnxruntime graph (the graph side is
 * src/models/graph/adam.ts `adamUpdate`, PyTorch's rule): which arrays go in, which buffers the
 * updated parameters and moments are written into, and how they go back to the tf.Variables and the
 * optimizer afterwards. No gradient leaves onnxruntime; the moments stay host arrays owned by the
 * optimizer (src/train/adam.ts `hostMoments` / `commitHost`); the parameters are kept as host arrays
 * between steps (copied out of tfjs only when something else changed a variable) and copied once per
 * step into their variables.
 *
 * Per parameter `key` (shape `dims`) the graph reads `key`, `adam.m:<key>`, `adam.v:<key>`,
 * `adam.step_size:<key>`, `adam.bc2_sqrt:<key>` and writes `next:<key>`, `next.m:<key>`, `next.v:<key>`.
 *
 * ```ts
 * const host = new FusedAdamHost((k, t) => stage(k, t));
 * const step = host.prepare(params, keys, adam);
 * session.run({ ...batchFeeds, ...step.feeds }, ['loss'], step.into);
 * step.commit();
 * ```
 */
import * as tf from '@tensorflow/tfjs';
import type { OrtFeed } from './session';

/** What the fused step needs from the optimizer (src/train/adam.ts `Adam`; src/models/ranking-model.ts `FusedAdam`). */
export interface FusedAdamState {
  readonly opts: { beta1: number; beta2: number; eps: number };
  /** lr / (1 − β1^t) and √(1 − β2^t) for step number `t` (1-based). */
  scalars(t: number): { stepSize: number; bc2Sqrt: number };
  /** `key`'s steps so far and moments (zeros before its first step); read only. */
  hostMoments(key: string, shape: number[]): { step: number; m: Float32Array; v: Float32Array };
  /** Record one fused step of `key`: its new moments, now owned by the optimizer. */
  commitHost(key: string, shape: number[], m: Float32Array, v: Float32Array): void;
}

/** A parameter's host copy: `data` holds the variable's values while the variable still has `dataId`. */
interface HostParam {
  data: Float32Array;
  /** The buffer the next fused step writes into (then the two swap). */
  spare: Float32Array;
  dataId: object;
}

/** One prepared step: the graph's Adam feeds, the output buffers, and `commit` to run after the graph. */
export interface FusedAdamStep {
  /** Parameters (current values) and their moments and step scalars. */
  feeds: Record<string, OrtFeed>;
  /** `next:<key>`, `next.m:<key>`, `next.v:<key>` written in place by onnxruntime. */
  into: Record<string, OrtFeed>;
  /** After a successful run: assign the new parameters to their variables, hand the moments to the optimizer. */
  commit(): void;
}

export class FusedAdamHost {
  private hostParams = new Map<string, HostParam>();
  /** Moment buffers the optimizer gave back at the last step, written at the next one. */
  private spareMoments = new Map<string, { m: Float32Array; v: Float32Array }>();

  /** `stage(key, t)`: `t`'s values as a host array (may be a reused buffer: copied before it is kept). */
  constructor(private readonly stage: (key: string, t: tf.Tensor) => Float32Array) {}

  /** A parameter's values on the host: the last fused step's copy while the variable is unchanged, else staged from tfjs. */
  paramData(key: string, p: tf.Variable): Float32Array {
    const h = this.hostParams.get(key);
    if (h && h.dataId === p.dataId && h.data.length === p.size) return h.data;
    return this.stage(key, p);
  }

  /** Feeds and output buffers of one fused step over `keys` (each must be in `params`). */
  prepare(params: Map<string, tf.Variable>, keys: string[], adam: FusedAdamState): FusedAdamStep {
    const feeds: Record<string, OrtFeed> = {};
    const into: Record<string, OrtFeed> = {};
    const moments = new Map<string, { m: Float32Array; v: Float32Array; spare: { m: Float32Array; v: Float32Array } }>();
    for (const k of keys) {
      const p = params.get(k);
      if (!p) throw new Error(`fused Adam: missing parameter '${k}'`);
      const dims = p.shape;
      const size = p.size;
      const cur = adam.hostMoments(k, dims);
      const { stepSize, bc2Sqrt } = adam.scalars(cur.step + 1);
      feeds[`adam.m:${k}`] = { data: cur.m, dims };
      feeds[`adam.v:${k}`] = { data: cur.v, dims };
      feeds[`adam.step_size:${k}`] = { data: Float32Array.of(stepSize), dims: [] };
      feeds[`adam.bc2_sqrt:${k}`] = { data: Float32Array.of(bc2Sqrt), dims: [] };
      let spare = this.spareMoments.get(k);
      if (!spare || spare.m.length !== size) spare = { m: new Float32Array(size), v: new Float32Array(size) };
      into[`next.m:${k}`] = { data: spare.m, dims };
      into[`next.v:${k}`] = { data: spare.v, dims };
      moments.set(k, { m: cur.m, v: cur.v, spare });
      let h = this.hostParams.get(k);
      if (h && (h.dataId !== p.dataId || h.data.length !== size)) h = undefined;
      if (!h) {
        // the variable changed outside the fused step (first step, checkpoint load, tfjs Adam): copy it once
        h = { data: Float32Array.from(this.stage(k, p)), spare: new Float32Array(size), dataId: p.dataId };
        this.hostParams.set(k, h);
      }
      feeds[k] = { data: h.data, dims };
      into[`next:${k}`] = { data: h.spare, dims };
    }
    const commit = () => {
      const copy = tf.getBackend() !== 'wasm'; // the wasm backend copies tf.tensor's data into its heap; others may keep the array
      for (const k of keys) {
        const p = params.get(k)!;
        const h = this.hostParams.get(k)!;
        [h.data, h.spare] = [h.spare, h.data];
        const t = tf.tensor(copy ? h.data.slice() : h.data, p.shape);
        p.assign(t);
        t.dispose();
        h.dataId = p.dataId;
        const mo = moments.get(k)!;
        adam.commitHost(k, p.shape, mo.spare.m, mo.spare.v);
        this.spareMoments.set(k, { m: mo.m, v: mo.v });
      }
    };
    return { feeds, into, commit };
  }

  clear(): void {
    this.hostParams.clear();
    this.spareMoments.clear();
  }
}
