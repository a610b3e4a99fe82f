/** Small helpers of the preprocessed readers (internal: not re-exported by index.ts). */
import { NpyData, NpyHeader } from '../npy';

export const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

export const shapeStr = (xs: number[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

/** Float data of any float dtype as Float32Array. */
export function asFloat32(file: string, data: NpyData): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new Error(`${file}: expected a float array`);
}

export function isFloat(h: NpyHeader) {
  return h.dtype[0] === 'f';
}

export function isInt(h: NpyHeader) {
  return h.dtype[0] === 'i' || h.dtype[0] === 'u' || h.dtype === 'b1';
}
