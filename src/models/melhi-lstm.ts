/**
 * MEL-HI's LSTM (`nn.LSTM(3Dt, 3Dt)`, one layer, zero initial state): the same numbers as lstm.ts
 * `torchLstm`, with a hand-written backward pass through time, because tfjs's tape cannot train it at
 * the paper's size (H = 2304, W_hh [9216, 2304] = 85 MB): the tape keeps one W_hh gradient per step
 * until the end of the backward pass (122 steps → 10 GB, past the 4 GiB wasm heap: the step stalled),
 * and lstm.ts's Linear transposes W_hh at every step.
 *
 * Forward (gate rows i, f, g, o as PyTorch; b = b_ih + b_hh added with the input part):
 *   a_t = (x_t W_ihᵀ + b_ih) + b_hh + h_{t-1} W_hhᵀ      i, f, o = σ(a_·)   g = tanh(a_g)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g      h_t = o ⊙ tanh(c_t)      (h_{-1} = c_{-1} = 0: step 0 skips the zero product)
 * Backward, t = S-1 … 0, with dh_t = dH_t + dh from step t+1 and dc from step t+1:
 *   do = dh ⊙ tanh(c_t)   dc += dh ⊙ o ⊙ (1 - tanh²(c_t))   di = dc ⊙ g   dg = dc ⊙ i   df = dc ⊙ c_{t-1}
 *   da = [di i(1-i), df f(1-f), dg (1-g²), do o(1-o)]      dh_{t-1} = da W_hh      dc_{t-1} = dc ⊙ f
 * and the weight gradients once, over all steps: d(W_hhᵀ) = [h_{-1} … h_{S-2}]ᵀ [da_0 … da_{S-1}],
 * d(input part) = da (→ W_ih, b_ih through the Linear), d b_hh = Σ da. Untransposed products only
 * (tfjs-wasm's transposed matMuls are 10-60× slower, environment.md).
 *
 * `x` `[B, T, I]` → hidden states `[B, steps, H]`.
 */
import * as tf from '@tensorflow/tfjs';
import { TorchParams, torchParam } from '../nn';

/** Gate activations and cell state of one forward step (kept for the backward pass). */
interface StepState {
  i: tf.Tensor;
  f: tf.Tensor;
  g: tf.Tensor;
  o: tf.Tensor;
  c: tf.Tensor;
  tc: tf.Tensor;
  h: tf.Tensor;
}

/** `melhiManyLstm` for one input. */
export function melhiLstm(params: TorchParams, prefix: string, x: tf.Tensor3D, steps?: number): tf.Tensor3D {
  return melhiManyLstm(params, prefix, [{ x, steps: steps ?? x.shape[1] }])[0];
}

/**
 * Run the LSTM over several inputs `x` `[B_k, T_k, I]` for `steps` each → `[B_k, steps, H]`, sharing one
 * transpose of W_ih and of W_hh (and so one gradient of each) between them: at MEL-HI's size every
 * 85 MB copy counts against the 4 GiB wasm heap.
 */
export function melhiManyLstm(params: TorchParams, prefix: string, inputs: { x: tf.Tensor3D; steps: number }[]): tf.Tensor3D[] {
  return tf.tidy(() => {
    const wih = torchParam(params, `${prefix}.weight_ih_l0`);
    const whh = torchParam(params, `${prefix}.weight_hh_l0`);
    const bih = torchParam(params, `${prefix}.bias_ih_l0`);
    const bhh = torchParam(params, `${prefix}.bias_hh_l0`);
    const H = whh.shape[1] as number;
    const I = wih.shape[1] as number;
    const wihT = tf.transpose(wih); // [I, 4H], once
    const whhT = tf.transpose(whh); // [H, 4H], once
    // x W_ihᵀ with the transposed weight shared: dx = dy W_ih, d(W_ihᵀ) = xᵀ dy (untransposed products)
    const inputProduct = tf.customGrad(((x2: tf.Tensor2D, wT: tf.Tensor2D, save: (t: tf.Tensor[]) => void) => {
      save([x2]);
      return { value: tf.matMul(x2, wT), gradFunc: (dy: tf.Tensor2D, [xs]: tf.Tensor2D[]) => [tf.matMul(dy, wih), tf.matMul(tf.transpose(xs!), dy)] };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    return inputs.map(({ x, steps: n }) => {
      const [B, T] = x.shape;
      if (n < 1 || n > T) throw new Error(`melhiLstm ${prefix}: steps ${n} outside 1..${T}`);
      if (x.shape[2] !== I) throw new Error(`melhiLstm ${prefix}: input size ${x.shape[2]}, weight expects ${I}`);
      const xw = tf.add(inputProduct(x.slice([0, 0, 0], [B, n, I]).reshape([B * n, I]), wihT), bih).reshape([B, n, 4 * H]) as tf.Tensor3D; // [B, S, 4H]
      return recurrence(xw, bhh, whhT, whh, n);
    });
  });
}

/** The recurrence over precomputed input parts `xw` `[B, S, 4H]` (see the file header), with its backward pass. */
function recurrence(xw: tf.Tensor3D, bhh: tf.Tensor, whhT: tf.Tensor, whh: tf.Tensor, n: number): tf.Tensor3D {
  const [B] = xw.shape;
  const H = whh.shape[1] as number;
  const f = tf.customGrad(((xwIn: tf.Tensor3D, bh: tf.Tensor1D, wT: tf.Tensor2D, save: (t: tf.Tensor[]) => void) => {
    const states: StepState[] = [];
    for (let t = 0; t < n; t++) {
      const prev = states[t - 1];
      const s = tf.tidy(() => {
        const xt = xwIn.slice([0, t, 0], [B, 1, 4 * H]).reshape([B, 4 * H]);
        const a = tf.add(xt, prev ? tf.add(tf.matMul(prev.h, wT), bh) : bh); // [B, 4H], as torchLstm adds
        const [ai, af, ag, ao] = tf.split(a, 4, 1);
        const i = tf.sigmoid(ai);
        const f = tf.sigmoid(af);
        const g = tf.tanh(ag);
        const o = tf.sigmoid(ao);
        const c = prev ? tf.add(tf.mul(f, prev.c), tf.mul(i, g)) : tf.mul(i, g);
        const tc = tf.tanh(c);
        return { i, f, g, o, c, tc, h: tf.mul(o, tc) };
      });
      states.push(s);
    }
    const flat = states.flatMap((s) => [s.i, s.f, s.g, s.o, s.c, s.tc, s.h]);
    save(flat);
    return {
      value: tf.stack(states.map((s) => s.h), 1), // [B, S, H]
      gradFunc: (dH: tf.Tensor3D, saved: tf.Tensor[]) => {
        const st = (t: number): StepState => {
          const [i, f, g, o, c, tc, h] = saved.slice(7 * t, 7 * t + 7);
          return { i, f, g, o, c, tc, h };
        };
        let dhNext: tf.Tensor | undefined;
        let dcNext: tf.Tensor | undefined;
        const das: tf.Tensor[] = new Array(n);
        for (let t = n - 1; t >= 0; t--) {
          const s = st(t);
          const out = tf.tidy(() => {
            const dHt = dH.slice([0, t, 0], [B, 1, H]).reshape([B, H]);
            const dh = dhNext ? tf.add(dHt, dhNext) : dHt;
            const dO = tf.mul(dh, s.tc);
            let dc = tf.mul(tf.mul(dh, s.o), tf.sub(1, tf.square(s.tc)));
            if (dcNext) dc = tf.add(dc, dcNext);
            const di = tf.mul(dc, s.g);
            const dg = tf.mul(dc, s.i);
            const sig = (y: tf.Tensor) => tf.mul(y, tf.sub(1, y));
            const parts = [tf.mul(di, sig(s.i))];
            parts.push(t > 0 ? tf.mul(tf.mul(dc, st(t - 1).c), sig(s.f)) : tf.zerosLike(s.f)); // c_{-1} = 0
            parts.push(tf.mul(dg, tf.sub(1, tf.square(s.g))), tf.mul(dO, sig(s.o)));
            const da = tf.concat(parts, 1); // [B, 4H]
            return { da, dh: t > 0 ? tf.matMul(da, whh) : undefined, dc: t > 0 ? tf.mul(dc, s.f) : undefined };
          });
          dhNext?.dispose();
          dcNext?.dispose();
          das[t] = out.da;
          dhNext = out.dh;
          dcNext = out.dc;
        }
        const dA = tf.stack(das, 1) as tf.Tensor3D; // [B, S, 4H]
        das.forEach((d) => d.dispose());
        const dA2 = dA.reshape([B * n, 4 * H]);
        // h_{t-1} for every step (h_{-1} = 0), rows in the same (b, t) order as dA2
        const hPrev = n > 1 ? tf.concat([tf.zeros([B, 1, H]), tf.stack(Array.from({ length: n - 1 }, (_, t) => st(t).h), 1)], 1) : tf.zeros([B, 1, H]);
        const dWT = tf.matMul(tf.transpose(hPrev.reshape([B * n, H])), dA2); // [H, 4H]
        return [dA, tf.sum(dA2, 0), dWT];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor3D;
  return f(xw, bhh, whhT);
}
