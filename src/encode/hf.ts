/**
 * Loading models with transformers.js (@huggingface/transformers → onnxruntime-node), offline from
 * a local folder or from the Hugging Face hub.
 *
 * A local model folder holds config.json, onnx/model.onnx (or onnx/text_model.onnx +
 * onnx/vision_model.onnx for CLIP), tokenizer.json + tokenizer_config.json for text models and
 * preprocessor_config.json for image models. A hub name (e.g. 'Xenova/bert-base-cased') downloads
 * into transformers.js' cache on first use; `offline: true` forbids that (the CLI: DRIN_OFFLINE).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type HF = typeof import('@huggingface/transformers');
let cached: HF | null = null;

/** The transformers.js module, loaded on first use (stand-in runs never load onnxruntime). */
export function hfLib(): HF {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: transformers.js is heavy and loads only when an encoder runs
  if (!cached) cached = require('@huggingface/transformers') as HF;
  return cached;
}

/** Where and how to run a model. */
export interface HfLoadOptions {
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
  /**
   * 'cpu' (default) or 'cuda' where onnxruntime-node has its CUDA provider. transformers.js 4.3 turns
   * `device: 'cuda'` into `session_options.executionProviders = ['cuda']` (no CPU fallback: a missing
   * provider fails the load), so callers resolve it first (src/device.ts `resolveEncodeDevice`).
   */
  device?: 'cpu' | 'cuda';
  /** Never download: a hub name is an error (default false; the CLI passes DRIN_OFFLINE). */
  offline?: boolean;
}

/** True when `src` is a local model folder (it exists and holds config.json). */
export function isLocalModel(src: string): boolean {
  return fs.existsSync(path.join(src, 'config.json'));
}

/**
 * Point transformers.js at `src` (local folder or hub name) and return the name to pass to
 * `from_pretrained` plus its options. Local folders load with remote access switched off.
 */
export function hfSource(src: string, opts: HfLoadOptions = {}): { name: string; options: Record<string, unknown>; dir: string | null } {
  const { env } = hfLib();
  const options: Record<string, unknown> = { dtype: 'fp32', device: opts.device ?? 'cpu' };
  if (opts.threads) options.session_options = { intraOpNumThreads: opts.threads, interOpNumThreads: 1 };
  if (isLocalModel(src)) {
    const abs = path.resolve(src);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = path.dirname(abs) + path.sep;
    return { name: path.basename(abs), options: { ...options, local_files_only: true }, dir: abs };
  }
  if (fs.existsSync(src)) throw new Error(`model ${src}: a folder without config.json (expected config.json, onnx/*.onnx, tokenizer or preprocessor files)`);
  if (opts.offline) throw new Error(`model ${src}: not a local folder, and offline (DRIN_OFFLINE) forbids the hub (give a local model folder, or use the stand-ins)`);
  env.allowRemoteModels = true;
  return { name: src, options, dir: null };
}

/** Read a JSON file of a local model folder, or null (hub models: fetched by transformers.js itself). */
export function readModelJson<T>(dir: string | null, file: string): T | null {
  if (!dir) return null;
  const f = path.join(dir, file);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, 'utf8')) as T) : null;
}

/** A transformers.js Tensor from a typed array. */
export function hfTensor(type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: number[]): import('@huggingface/transformers').Tensor {
  const { Tensor } = hfLib();
  return new Tensor(type, data, dims);
}

/** int64 tensor data from plain numbers. */
export function int64(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
  return out;
}
