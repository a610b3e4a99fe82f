/**
 * MEL-HI's LSTM (`nn.LSTM(3Dt, 3Dt)`, one layer, zero initial state), the same numbers as lstm.ts
 * `torchLstm` with two savings that matter at the paper's size (H = 2304, W_hh 85 MB):
 * - W_hh is transposed once per call, not at every step (lstm.ts's Linear transposes its weight each
 *   time it is applied: on wasm that copy costs more than the step's product for a single row);
 * - step 0 starts from h = 0, so its recurrent product (exactly zero) is skipped: gates = x W_ihᵀ + b_ih + b_hh.
 * The recurrent product has a custom gradient with untransposed products only (tfjs-wasm's transposed
 * matMuls are 10-60× slower, environment.md): dh = dy W_hh, d(W_hhᵀ) = hᵀ dy.
 *
 * `x` `[B, T, I]` → hidden states `[B, steps, H]` (gate rows i, f, g, o as PyTorch).
 * `zeroProduct: true` keeps step 0's zero product, so that W_hh gets its (zero) gradient as in
 * PyTorch (Adam then still steps it) when no call runs a second step.
 */
import * as tf from '@tensorflow/tfjs';
import { TorchParams, torchLinear, torchParam } from './torch-nn';

export function melhiLstm(params: TorchParams, prefix: string, x: tf.Tensor3D, steps?: number, zeroProduct = false): tf.Tensor3D {
  return tf.tidy(() => {
    const wih = torchParam(params, `${prefix}.weight_ih_l0`);
    const whh = torchParam(params, `${prefix}.weight_hh_l0`);
    const bih = torchParam(params, `${prefix}.bias_ih_l0`);
    const bhh = torchParam(params, `${prefix}.bias_hh_l0`);
    const [B, T] = x.shape;
    const H = whh.shape[1] as number;
    const n = steps ?? T;
    if (n < 1 || n > T) throw new Error(`melhiLstm ${prefix}: steps ${n} outside 1..${T}`);
    const whhT = tf.transpose(whh); // [H, 4H], once
    const recurrent = tf.customGrad(((h: tf.Tensor2D, wT: tf.Tensor2D, save: (t: tf.Tensor[]) => void) => {
      save([h]);
      return {
        value: tf.matMul(h, wT), // [B, 4H]
        gradFunc: (dy: tf.Tensor2D, [hs]: tf.Tensor2D[]) => [tf.matMul(dy, whh), tf.matMul(tf.transpose(hs!), dy)],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (h: tf.Tensor, wT: tf.Tensor) => tf.Tensor;
    const xw = torchLinear(x, wih, bih); // [B, T, 4H]
    let h: tf.Tensor | undefined = zeroProduct ? tf.zeros([B, H]) : undefined;
    let c: tf.Tensor | undefined;
    const outs: tf.Tensor[] = [];
    for (let t = 0; t < n; t++) {
      const xt = xw.slice([0, t, 0], [B, 1, 4 * H]).reshape([B, 4 * H]); // [B, 4H]
      const gates = tf.add(xt, h ? tf.add(recurrent(h, whhT), bhh) : bhh); // [B, 4H]
      const [i, f, g, o] = tf.split(gates, 4, 1); // 4 × [B, H]
      const ig = tf.mul(tf.sigmoid(i), tf.tanh(g));
      c = c ? tf.add(tf.mul(tf.sigmoid(f), c), ig) : ig; // c0 = 0 (f · 0 = 0 exactly)
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      outs.push(h);
    }
    return tf.stack(outs, 1) as tf.Tensor3D; // [B, n, H]
  });
}
