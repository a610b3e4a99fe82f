/**
 * Parameters the PyTorch way: a map from `state_dict` key to a trainable tensor. A Linear weight is
 * `[out, in]`, as PyTorch stores it.
 */
import * as tf from '@tensorflow/tfjs';

/** A named set of trainable weights, keyed by PyTorch `state_dict` keys. */
export type TorchParams = Map<string, tf.Variable>;

/** Look a weight up by key; throws naming the key and the keys that exist under its prefix. */
export function torchParam(params: TorchParams, key: string): tf.Variable {
  const v = params.get(key);
  if (!v) {
    const prefix = key.split('.').slice(0, -1).join('.');
    const near = [...params.keys()].filter((k) => k.startsWith(prefix)).slice(0, 8);
    throw new Error(`missing parameter '${key}' (keys under '${prefix}': ${near.join(', ') || 'none'})`);
  }
  return v;
}

/** DRIN's name for `torchParam`. */
export const drinParam = torchParam;

/** Replace the values of `params` by those in `values` (same keys, same shapes); throws on mismatch. */
export function torchLoadParams(params: TorchParams, values: Map<string, tf.Tensor> | Record<string, tf.Tensor>): void {
  const get = (k: string) => (values instanceof Map ? values.get(k) : values[k]);
  for (const [k, v] of params) {
    const t = get(k);
    if (!t) throw new Error(`weights: no value for '${k}'`);
    if (t.shape.join(',') !== v.shape.join(',')) {
      throw new Error(`weights: '${k}' has shape [${t.shape}], model expects [${v.shape}]`);
    }
    v.assign(t.dtype === 'float32' ? t : t.cast('float32'));
  }
}
