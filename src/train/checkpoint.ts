/**
 * Training checkpoints: one `.npz` holding the parameters (state_dict keys), Adam's moments
 * (`adam.m.<key>`, `adam.v.<key>`) and `meta.json` (epoch, history, Adam steps), written to a
 * temporary file and renamed into place, so a crash never leaves a half-written checkpoint.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam';
import { readZipEntries } from './npz';
import { npyBytesToTensor, writeStateDict } from './weights';

export interface CheckpointMeta {
  /** Epochs completed. */
  epoch: number;
  /** Anything the loop wants back (history, config, timing). */
  [key: string]: unknown;
}

/** Write params + Adam state + meta atomically to `file` (.npz). */
export function saveCheckpoint(file: string, params: Map<string, tf.Variable>, adam: Adam, meta: CheckpointMeta): void {
  const st = adam.getState();
  const tensors = new Map<string, tf.Tensor>(params);
  for (const [k, t] of st.m) tensors.set(`adam.m.${k}`, t);
  for (const [k, t] of st.v) tensors.set(`adam.v.${k}`, t);
  const metaBytes = new Uint8Array(Buffer.from(JSON.stringify({ ...meta, adamSteps: st.steps }), 'utf8'));
  try {
    writeStateDict(tensors, file, new Map([['meta.json', metaBytes]]));
  } finally {
    st.m.forEach((t) => t.dispose());
    st.v.forEach((t) => t.dispose());
  }
}

/** Restore params and Adam state from a checkpoint; returns its meta. */
export function loadCheckpoint(file: string, params: Map<string, tf.Variable>, adam: Adam): CheckpointMeta {
  const entries = readZipEntries(fs.readFileSync(file), file);
  const metaBytes = entries.get('meta.json');
  if (!metaBytes) throw new Error(`${file}: not a training checkpoint (no meta.json entry)`);
  const meta = JSON.parse(metaBytes.toString('utf8')) as CheckpointMeta & { adamSteps: Record<string, number> };
  const m = new Map<string, tf.Tensor>();
  const v = new Map<string, tf.Tensor>();
  for (const [name, bytes] of entries) {
    if (!name.endsWith('.npy')) continue;
    const key = name.slice(0, -4);
    if (key.startsWith('adam.m.')) m.set(key.slice(7), npyBytesToTensor(bytes, `${file}:${name}`));
    else if (key.startsWith('adam.v.')) v.set(key.slice(7), npyBytesToTensor(bytes, `${file}:${name}`));
    else {
      const p = params.get(key);
      if (!p) throw new Error(`${file}: parameter '${key}' does not belong to this model`);
      const t = npyBytesToTensor(bytes, `${file}:${name}`);
      if (t.shape.join(',') !== p.shape.join(',')) throw new Error(`${file}: '${key}' has shape [${t.shape}], model expects [${p.shape}]`);
      p.assign(t);
      t.dispose();
    }
  }
  adam.setState({ steps: meta.adamSteps ?? {}, m, v });
  m.forEach((t) => t.dispose());
  v.forEach((t) => t.dispose());
  return meta;
}
