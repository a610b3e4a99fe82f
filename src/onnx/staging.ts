/**
 * Copying tfjs tensors out to host arrays for onnxruntime (the ort engines of DRIN and GHMFC).
 * onnxruntime cannot read the threaded wasm heap (a SharedArrayBuffer), so a tensor on the wasm backend
 * is copied into a host buffer kept per input name and reused from step to step; other backends give
 * `dataSync()`.
 */
import * as tf from '@tensorflow/tfjs';

/** A view into the wasm heap (valid until tfjs allocates again), or undefined on other backends. */
export function heapView(t: tf.Tensor): Float32Array | undefined {
  const b = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.Tensor) => Float32Array };
  return tf.getBackend() === 'wasm' && typeof b.typedArrayFromHeap === 'function' ? b.typedArrayFromHeap(t) : undefined;
}

/** Host buffers by name, reused across steps. */
export class HostStaging {
  private buffers = new Map<string, Float32Array>();

  /** `t`'s data in a host buffer: copied from the wasm heap into the reused buffer for `name`, else `dataSync()`. */
  stage(name: string, t: tf.Tensor): Float32Array {
    const view = heapView(t);
    if (!view) {
      const d = t.dataSync(); // the cpu backend may keep a cast tensor's Int32Array
      return d instanceof Float32Array ? d : Float32Array.from(d);
    }
    let buf = this.buffers.get(name);
    if (!buf || buf.length !== view.length) this.buffers.set(name, (buf = new Float32Array(view.length)));
    buf.set(view);
    return buf;
  }

  /** The reused buffer for `name`, of at least `length` elements (a new one when the kept one is shorter). */
  atLeast(name: string, length: number): Float32Array {
    let buf = this.buffers.get(name);
    if (!buf || buf.length < length) this.buffers.set(name, (buf = new Float32Array(length)));
    return buf;
  }

  clear(): void {
    this.buffers.clear();
  }
}
