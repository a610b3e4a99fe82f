// Helpers shared by the baselines-*.test.ts files: load a parity fixture directory as tensors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { SHARED } from '../../src/paths';
import { readNpyTensor } from '../../src/data/npy-tensor';

export const BASELINE_FIXTURES = path.join(SHARED, 'fixtures', 'baselines');

/** A fixture .npy file as a tensor (the library's one reader: floats → float32, integers → int32). */
export function loadNpy(file: string): tf.Tensor {
  return readNpyTensor(file);
}

export interface Fixture {
  dir: string;
  manifest: Record<string, any>;
  inputs: Record<string, tf.Tensor>;
  params: Map<string, tf.Tensor>;
  grads: Map<string, tf.Tensor>;
  paramsAfter: Map<string, tf.Tensor>;
  scores: tf.Tensor;
  scoresAfter: tf.Tensor;
  inter: Record<string, tf.Tensor>;
}

function dirMap(dir: string): Map<string, tf.Tensor> {
  const m = new Map<string, tf.Tensor>();
  if (!fs.existsSync(dir)) return m;
  for (const f of fs.readdirSync(dir)) if (f.endsWith('.npy')) m.set(f.slice(0, -4), loadNpy(path.join(dir, f)));
  return m;
}

export function loadFixture(name: string): Fixture | undefined {
  const dir = path.join(BASELINE_FIXTURES, name);
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) return undefined;
  return {
    dir,
    manifest: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')),
    inputs: Object.fromEntries(dirMap(path.join(dir, 'inputs'))),
    params: dirMap(path.join(dir, 'params')),
    grads: dirMap(path.join(dir, 'grads')),
    paramsAfter: dirMap(path.join(dir, 'params_after_adam')),
    scores: loadNpy(path.join(dir, 'scores.npy')),
    scoresAfter: loadNpy(path.join(dir, 'scores_after_adam.npy')),
    inter: Object.fromEntries(dirMap(path.join(dir, 'intermediates'))),
  };
}

/** Largest absolute difference between two tensors of the same shape. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  if (a.shape.join(',') !== b.shape.join(',')) throw new Error(`shape [${a.shape}] vs [${b.shape}]`);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a.cast('float32'), b.cast('float32')))).dataSync()[0] as number);
}
