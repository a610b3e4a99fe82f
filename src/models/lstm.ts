/**
 * `torch.nn.LSTM` (one layer, unidirectional, batch-first input), as PyTorch computes it.
 *
 * B batch, T time steps, I input size, H hidden size.
 *
 * Weights by `state_dict` key under a prefix (layer 0): `weight_ih_l0` `[4H, I]`,
 * `weight_hh_l0` `[4H, H]`, `bias_ih_l0` `[4H]`, `bias_hh_l0` `[4H]`; gate rows in the order
 * i (input), f (forget), g (cell), o (output). Zero initial state.
 */
import * as tf from '@tensorflow/tfjs';
import { TorchParams, TorchRng, torchLinear, torchParam, torchUniform } from '../nn';

/** Create the weights of a one-layer `nn.LSTM(inputSize, hiddenSize)`: all ~ U(-1/sqrt(H), 1/sqrt(H)). */
export function initLstm(params: TorchParams, prefix: string, inputSize: number, hiddenSize: number, rng?: TorchRng): void {
  const bound = 1 / Math.sqrt(hiddenSize);
  const shapes: Record<string, number[]> = {
    weight_ih_l0: [4 * hiddenSize, inputSize],
    weight_hh_l0: [4 * hiddenSize, hiddenSize],
    bias_ih_l0: [4 * hiddenSize],
    bias_hh_l0: [4 * hiddenSize],
  };
  for (const [k, s] of Object.entries(shapes)) {
    params.set(`${prefix}.${k}`, tf.variable(torchUniform(s, bound, rng), true));
  }
}

/**
 * Run the LSTM over `x` `[B, T, I]` for `steps` time steps (default T) → outputs `[B, steps, H]`
 * (the hidden state h_t at every step). Padded steps are computed too: callers read the steps
 * they need. One JS iteration per time step; everything inside is batched.
 */
export function torchLstm(params: TorchParams, prefix: string, x: tf.Tensor3D, steps?: number): tf.Tensor3D {
  return tf.tidy(() => {
    const wih = torchParam(params, `${prefix}.weight_ih_l0`);
    const whh = torchParam(params, `${prefix}.weight_hh_l0`);
    const bih = torchParam(params, `${prefix}.bias_ih_l0`);
    const bhh = torchParam(params, `${prefix}.bias_hh_l0`);
    const [B, T] = x.shape;
    const H = whh.shape[1] as number;
    const n = steps ?? T;
    if (n < 1 || n > T) throw new Error(`torchLstm ${prefix}: steps ${n} outside 1..${T}`);
    const xw = torchLinear(x, wih, bih); // [B, T, 4H] input part of every gate
    let h: tf.Tensor = tf.zeros([B, H]);
    let c: tf.Tensor = tf.zeros([B, H]);
    const outs: tf.Tensor[] = [];
    for (let t = 0; t < n; t++) {
      const xt = xw.slice([0, t, 0], [B, 1, 4 * H]).reshape([B, 4 * H]); // [B, 4H]
      const gates = tf.add(xt, torchLinear(h, whh, bhh)); // [B, 4H]
      const [i, f, g, o] = tf.split(gates, 4, 1); // 4 × [B, H]
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      outs.push(h);
    }
    return tf.stack(outs, 1) as tf.Tensor3D; // [B, n, H]
  });
}
