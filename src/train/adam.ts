/**
 * Adam with PyTorch's update rule (torch.optim.Adam, single-tensor path, weight_decay 0):
 *
 *   m ← β1 m + (1 − β1) g          v ← β2 v + (1 − β2) g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 *
 * (tf.train.adam puts eps inside the bias correction and differs slightly.) A parameter without a
 * gradient (None in PyTorch) is skipped and keeps no state, as in PyTorch; `t` counts per parameter.
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
  m: tf.Variable;
  v: tf.Variable;
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
    const { lr, beta1, beta2, eps } = this.opts;
    for (const [key, g] of grads) {
      const p = params.get(key);
      if (!p) throw new Error(`Adam: gradient for unknown parameter '${key}'`);
      let slot = this.slots.get(key);
      if (!slot) {
        slot = { step: 0, m: zerosVariable(p), v: zerosVariable(p) };
        this.slots.set(key, slot);
      }
      slot.step += 1;
      const bc1 = 1 - Math.pow(beta1, slot.step);
      const bc2 = 1 - Math.pow(beta2, slot.step);
      const stepSize = lr / bc1;
      const bc2Sqrt = Math.sqrt(bc2);
      const s = slot;
      tf.tidy(() => {
        const m = s.m.mul(beta1).add(g.mul(1 - beta1));
        const v = s.v.mul(beta2).add(g.mul(g).mul(1 - beta2));
        s.m.assign(m);
        s.v.assign(v);
        const denom = v.sqrt().div(bc2Sqrt).add(eps);
        p.assign(p.sub(m.div(denom).mul(stepSize)));
      });
    }
  }

  /** Forget all moments and step counts (the reference's optimizer re-creation at each test round). */
  reset(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }

  /** A copy of the state (tensors are clones the caller owns). */
  getState(): AdamState {
    const st: AdamState = { steps: {}, m: new Map(), v: new Map() };
    for (const [k, s] of this.slots) {
      st.steps[k] = s.step;
      st.m.set(k, s.m.clone());
      st.v.set(k, s.v.clone());
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
