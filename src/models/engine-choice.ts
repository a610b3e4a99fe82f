/**
 * Which engine a model with both an onnxruntime graph and a tfjs twin (DRIN, GHMFC) runs on — one rule for
 * both: `auto` = `ort` unless tfjs runs on its native backend (tfjs-node / GPU; a `cuda` device request keeps
 * `ort`, since CUDA is onnxruntime's: src/device.ts) or `whyNotOrt` says the graph cannot run (onnxruntime-node
 * does not load, or the configuration is outside the graph's family); `ort` asked for but impossible is an
 * Error naming why.
 */
import * as tf from '@tensorflow/tfjs';
import type { DeviceRequest } from '../device';

export type EngineName = 'ort' | 'tfjs';

/** `model` names it in messages (e.g. 'DRIN'); `note` says which engine and why (the CLI prints it). */
export function resolveModelEngine(
  model: string,
  requested: 'auto' | EngineName = 'auto',
  device: DeviceRequest | undefined,
  whyNotOrt: string | undefined,
): { engine: EngineName; note: string } {
  if (!['auto', 'ort', 'tfjs'].includes(requested)) throw new Error(`${model} engine '${requested}': expected auto, ort or tfjs`);
  if (requested === 'tfjs') return { engine: 'tfjs', note: 'tfjs engine (asked for)' };
  if (requested === 'ort') {
    if (whyNotOrt) throw new Error(`${model} engine 'ort' cannot run this model: ${whyNotOrt}`);
    return { engine: 'ort', note: 'onnxruntime engine (asked for)' };
  }
  if (tf.getBackend() === 'tensorflow' && device !== 'cuda') return { engine: 'tfjs', note: 'tfjs engine on the native tfjs backend' };
  if (whyNotOrt) return { engine: 'tfjs', note: `tfjs engine (onnxruntime engine passed over: ${whyNotOrt})` };
  return { engine: 'ort', note: 'onnxruntime engine' };
}
