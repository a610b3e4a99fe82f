/**
 * Adam with PyTorch's update rule (torch.optim.Adam, single-tensor path, weight_decay 0):
 *
 *   m ← β1 m + (1 − β1) g          v ← β2 v + (1 − β2) g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 *
 * (tf.train.adam puts eps inside the bias correction and differs slightly.) A parameter without a
 * gradient (None in PyTorch) is skipped and keeps no state, as in PyTorch; `t` counts per parameter.
 *
 * A fused engine (DRIN on onnxruntime) runs the same rule inside its step: it takes a parameter's
 * moments as host arrays (`hostMoments`) and hands the updated ones back (`commitHost`), so they never
 * pass through tfjs. Either form converts to the other on demand; `getState` / `setState` see one state.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAM_DEFAULTS: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

interface AdamSlot {
  step: number;
  /** tfjs form (the `step` path)... */
  m?: tf.Variable;
  v?: tf.Variable;
  /** ...or host form (a fused engine); exactly one of the two is set. */
  host?: { m: Float32Array; v: Float32Array; shape: number[] };
}

/** A parameter's moments as host arrays, for a fused engine (see `Adam.hostMoments`). */
export interface AdamHostMoments {
  /** Steps taken so far (t − 1 for the coming step). */
  step: number;
  m: Float32Array;
  v: Float32Array;
}

/** Serializable Adam state: per parameter key its step count and moment tensors. */
export interface AdamState {
  steps: Record<string, number>;
  m: Map<string, tf.Tensor>;
  v: Map<string, tf.Tensor>;
}

/** A non-trainable variable of zeros shaped like `p` (the temporary zeros tensor is released). */
function zerosVariable(p: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(p);
  const v = tf.variable(zeros, false);
  zeros.dispose(); // the variable holds its own reference to the data
  return v;
}

export class Adam {
  readonly opts: AdamOptions;
  private slots = new Map<string, AdamSlot>();

  constructor(opts: Partial<AdamOptions> = {}) {
    this.opts = { ...ADAM_DEFAULTS, ...opts };
  }

  /**
   * One step: `grads` maps parameter keys to gradients (missing key = no gradient, skipped).
   * Does not dispose `grads`.
   */
  step(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    const { beta1, beta2, eps } = this.opts;
    for (const [key, g] of grads) {
      const p = params.get(key);
      if (!p) throw new Error(`Adam: gradient for unknown parameter '${key}'`);
      let slot = this.slots.get(key);
      if (!slot) {
        slot = { step: 0, m: zerosVariable(p), v: zerosVariable(p) };
        this.slots.set(key, slot);
      } else if (slot.host) {
        const h = slot.host;
        slot = { step: slot.step, m: tf.variable(tf.tensor(h.m.slice(), h.shape), false), v: tf.variable(tf.tensor(h.v.slice(), h.shape), false) };
        this.slots.set(key, slot);
      }
      slot.step += 1;
      const { stepSize, bc2Sqrt } = this.scalars(slot.step);
      const sm = slot.m!;
      const sv = slot.v!;
      tf.tidy(() => {
        const m = sm.mul(beta1).add(g.mul(1 - beta1));
        const v = sv.mul(beta2).add(g.mul(g).mul(1 - beta2));
        sm.assign(m);
        sv.assign(v);
        const denom = v.sqrt().div(bc2Sqrt).add(eps);
        p.assign(p.sub(m.div(denom).mul(stepSize)));
      });
    }
  }

  /** The step's scalars for step number `t` (1-based): lr / (1 − β1^t) and √(1 − β2^t). */
  scalars(t: number): { stepSize: number; bc2Sqrt: number } {
    const { lr, beta1, beta2 } = this.opts;
    return { stepSize: lr / (1 - Math.pow(beta1, t)), bc2Sqrt: Math.sqrt(1 - Math.pow(beta2, t)) };
  }

  /**
   * `key`'s moments as host arrays of the parameter's `shape` (zeros before its first step), for a fused engine
   * that applies the update itself. Arrays are the optimizer's own: read, do not write.
   */
  hostMoments(key: string, shape: number[]): AdamHostMoments {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = this.slots.get(key);
    if (!slot) return { step: 0, m: new Float32Array(size), v: new Float32Array(size) };
    if (slot.host) {
      if (slot.host.m.length !== size) throw new Error(`Adam: '${key}' has ${slot.host.m.length} moments, the engine asked for ${size}`);
      return { step: slot.step, m: slot.host.m, v: slot.host.v };
    }
    const m = slot.m!.dataSync() as Float32Array;
    const v = slot.v!.dataSync() as Float32Array;
    if (m.length !== size) throw new Error(`Adam: '${key}' has ${m.length} moments, the engine asked for ${size}`);
    return { step: slot.step, m: Float32Array.from(m), v: Float32Array.from(v) };
  }

  /** Record one step of `key` taken by a fused engine: its new moments (now owned by the optimizer). */
  commitHost(key: string, shape: number[], m: Float32Array, v: Float32Array): void {
    const slot = this.slots.get(key);
    slot?.m?.dispose();
    slot?.v?.dispose();
    this.slots.set(key, { step: (slot?.step ?? 0) + 1, host: { m, v, shape } });
  }

  /** Forget all moments and step counts (the reference's optimizer re-creation at each test round). */
  reset(): void {
    for (const s of this.slots.values()) {
      s.m?.dispose();
      s.v?.dispose();
    }
    this.slots.clear();
  }

  /** A copy of the state (tensors are clones the caller owns). */
  getState(): AdamState {
    const st: AdamState = { steps: {}, m: new Map(), v: new Map() };
    for (const [k, s] of this.slots) {
      st.steps[k] = s.step;
      st.m.set(k, s.host ? tf.tensor(s.host.m.slice(), s.host.shape) : s.m!.clone());
      st.v.set(k, s.host ? tf.tensor(s.host.v.slice(), s.host.shape) : s.v!.clone());
    }
    return st;
  }

  /** Replace the state (tensors are copied). */
  setState(st: AdamState): void {
    this.reset();
    for (const [k, step] of Object.entries(st.steps)) {
      const m = st.m.get(k);
      const v = st.v.get(k);
      if (!m || !v) throw new Error(`Adam state for '${k}' lacks its moments`);
      this.slots.set(k, { step, m: tf.variable(m, false), v: tf.variable(v, false) }); // the variables hold their own data reference
    }
  }
}
