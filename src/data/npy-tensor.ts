/**
 * `.npy` arrays as tfjs tensors: the one conversion every reader of weights, fixtures and features
 * uses (src/data/npy.ts does the file format).
 *
 * Floats (f2, f4, f8) become float32; integers and bools become int32, each value checked to fit
 * (int64 indices from PyTorch fit; a value that does not is an error naming the file and element);
 * string arrays are an error.
 */
import * as tf from '@tensorflow/tfjs';
import { encodeNpy, NpyArray, parseNpy, readNpy, toInt32 } from './npy';

/** An array as a tensor of its shape (float → float32, integer/bool → int32). `where` names the source in errors. */
export function npyToTensor(arr: NpyArray, where: string): tf.Tensor {
  const { data, shape, dtype } = arr;
  if (Array.isArray(data)) throw new Error(`${where}: string array (${dtype}); expected numbers`);
  if (dtype[0] === 'f') return tf.tensor(data instanceof Float32Array ? data : Float32Array.from(data as Float64Array), shape, 'float32');
  return tf.tensor(toInt32(data, where), shape, 'int32');
}

/** Read one `.npy` file into a tensor (see `npyToTensor`). */
export function readNpyTensor(file: string): tf.Tensor {
  return npyToTensor(readNpy(file), file);
}

/** Parse in-memory `.npy` bytes (an .npz entry) into a tensor. */
export function parseNpyTensor(bytes: Uint8Array, where: string): tf.Tensor {
  return npyToTensor(parseNpy(bytes, where), where);
}

/** A tensor as `.npy` bytes: float32 → `<f4`, int32 / bool → `<i4`. */
export function tensorToNpy(t: tf.Tensor): Uint8Array {
  const data = t.dtype === 'float32' ? (t.dataSync() as Float32Array) : Int32Array.from(t.dataSync() as ArrayLike<number>);
  return encodeNpy({ data, shape: t.shape }, `tensor [${t.shape}]`);
}
