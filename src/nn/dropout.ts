/** `nn.Dropout` in training mode (inverted dropout), with seeded masks. */
import * as tf from '@tensorflow/tfjs';
import { seededRandom, SeededRandom } from '../random';

let dropoutRng: SeededRandom = seededRandom('torch-dropout');

/** Re-seed the dropout masks (each call draws its mask seed from this stream), for reproducible training runs. */
export function torchDropoutSeed(seed: number | string): void {
  dropoutRng = seededRandom(`torch-dropout-${seed}`);
}

/** Inverted dropout as `nn.Dropout` in training mode; identity when not training or rate 0. */
export function torchDropout(x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
  return training && rate > 0 ? tf.dropout(x, rate, undefined, Math.floor(dropoutRng() * 2 ** 31)) : x;
}
