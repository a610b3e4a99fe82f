/**
 * Weights import / export in PyTorch state_dict terms: a directory of `<key>.npy` files (as the
 * fixtures store them) or one `.npz` archive (`np.savez(path, **state_dict_numpy)`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseNpyTensor, readNpyTensor, tensorToNpy } from '../data/npy-tensor';
import { readZipEntries, writeZipEntries } from './npz';
import { writeFileAtomic } from '../atomic-write';

/** Parse .npy bytes into a tensor (float → float32, integer/bool → int32). `where` names the source in errors. */
export function npyBytesToTensor(buf: Uint8Array, where: string): tf.Tensor {
  return parseNpyTensor(buf, where);
}

/** Read one `.npy` file into a tensor. */
export function loadNpyTensor(file: string): tf.Tensor {
  return readNpyTensor(file);
}

/** Serialise a tensor as .npy bytes (float32 → `<f4`, int32/bool → `<i4`). */
export function tensorToNpyBytes(t: tf.Tensor): Uint8Array {
  return tensorToNpy(t);
}

/** Read a state dict from a directory of `<key>.npy` files or a `.npz` archive. */
export function readStateDict(source: string): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  if (!fs.existsSync(source)) throw new Error(`${source}: no such weights file or directory`);
  if (fs.statSync(source).isDirectory()) {
    const files = fs.readdirSync(source).filter((f) => f.endsWith('.npy')).sort();
    if (!files.length) throw new Error(`${source}: no .npy files (expected one <state_dict key>.npy per parameter)`);
    for (const f of files) out.set(f.slice(0, -4), loadNpyTensor(path.join(source, f)));
    return out;
  }
  for (const [name, bytes] of readZipEntries(fs.readFileSync(source), source)) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), npyBytesToTensor(bytes, `${source}:${name}`));
  }
  return out;
}

/**
 * Copy weights into `params` by key. Every parameter must be present with the same shape;
 * unknown keys in the source are an error too (unless `allowExtra`).
 */
export function assignStateDict(params: Map<string, tf.Variable>, weights: Map<string, tf.Tensor>, source = 'weights', allowExtra = false): void {
  const missing = [...params.keys()].filter((k) => !weights.has(k));
  if (missing.length) throw new Error(`${source}: missing ${missing.length} parameter(s): ${missing.join(', ')}`);
  const extra = [...weights.keys()].filter((k) => !params.has(k));
  if (extra.length && !allowExtra) throw new Error(`${source}: unexpected key(s) for this model: ${extra.join(', ')}`);
  for (const [k, p] of params) {
    const w = weights.get(k)!;
    if (w.shape.join(',') !== p.shape.join(',')) throw new Error(`${source}: '${k}' has shape [${w.shape}], model expects [${p.shape}]`);
    p.assign(w.toFloat());
  }
}

/** Load a PyTorch state dict (npy directory or .npz) into a model's parameters. */
export function loadWeights(params: Map<string, tf.Variable>, source: string, opts: { allowExtra?: boolean } = {}): void {
  const w = readStateDict(source);
  try {
    assignStateDict(params, w, source, opts.allowExtra);
  } finally {
    w.forEach((t) => t.dispose());
  }
}

/** Write tensors by key: a directory of `<key>.npy` files, or a `.npz` when `target` ends with `.npz`. Atomic for .npz. */
export function writeStateDict(tensors: Map<string, tf.Tensor>, target: string, extra: Map<string, Uint8Array> = new Map()): void {
  if (target.endsWith('.npz')) {
    const entries = new Map<string, Uint8Array>();
    for (const [k, t] of tensors) entries.set(`${k}.npy`, tensorToNpyBytes(t));
    for (const [k, b] of extra) entries.set(k, b);
    writeFileAtomic(target, writeZipEntries(entries));
    return;
  }
  fs.mkdirSync(target, { recursive: true });
  for (const [k, t] of tensors) fs.writeFileSync(path.join(target, `${k}.npy`), tensorToNpyBytes(t));
  for (const [k, b] of extra) fs.writeFileSync(path.join(target, k), b);
}

/** Export a model's parameters (state_dict keys) as an npy directory or one .npz. */
export function saveWeights(params: Map<string, tf.Variable>, target: string): void {
  writeStateDict(params as Map<string, tf.Tensor>, target);
}
