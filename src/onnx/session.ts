/**
 * Run an ONNX graph with onnxruntime-node's CPU provider (MLAS: AVX2 / AVX-512 kernels), or its CUDA
 * provider (`{ device: 'cuda' }`, see src/device.ts), synchronously.
 *
 * onnxruntime-node's public `InferenceSession.run` is a Promise around a synchronous native call
 * (`setImmediate(() => resolve(binding.run(...)))`). A training step that runs inside synchronous
 * code calls that native session directly; this file is the only place that touches it.
 *
 * On CUDA every run copies its feeds host → device and its fetches back: onnxruntime-node 1.30 has no
 * CUDA device tensors. Its `gpu-buffer` tensors and `preferredOutputLocation` (IO binding) bind to the
 * WebGPU provider's allocator ("WebGPU_Buf", js/node/src/inference_session_wrap.cc), and its CUDA
 * provider options are `deviceId` alone. The CUDA provider turns TF32 on for float32 MatMul by default
 * (`use_tf32`, which the binding cannot set): NVIDIA_TF32_OVERRIDE=0 is exported before the first CUDA
 * session unless `tf32: true` (the CLI: DRIN_TF32=1), so the CUDA path keeps full float32 like the CPU
 * one. That export is the one environment access here: it configures the CUDA library in this process.
 */
import * as os from 'os';
import * as path from 'path';

/** float32 tensors in and out: data + dims. */
export interface OrtFeed {
  data: Float32Array;
  dims: number[];
}

interface NativeSession {
  loadModel(buffer: ArrayBufferLike, offset: number, length: number, options: object): void;
  run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, { data: Float32Array; dims: number[] }>;
  endProfiling(): void;
  dispose(): void;
}

interface OrtModules {
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  Session: new () => NativeSession;
}

let modules: OrtModules | undefined;
let loadError: string | undefined;

/** Load onnxruntime-node once; returns why it is unavailable, or undefined when it loaded. */
export function ortUnavailable(): string | undefined {
  if (modules || loadError) return loadError;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: onnxruntime-node may fail to load; the error is reported, tfjs used
    const ort = require('onnxruntime-node') as { Tensor: OrtModules['Tensor'] };
    const dist = path.dirname(require.resolve('onnxruntime-node'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- onnxruntime-node's binding, found at run time
    const b = require(path.join(dist, 'binding.js')) as { binding: { InferenceSession: OrtModules['Session'] }; initOrt: () => void };
    b.initOrt();
    if (typeof b.binding?.InferenceSession !== 'function') throw new Error('native binding has no InferenceSession');
    modules = { Tensor: ort.Tensor, Session: b.binding.InferenceSession };
  } catch (e) {
    loadError = `onnxruntime-node: ${(e as Error).message.split('\n')[0]}`;
  }
  return loadError;
}

/** Intra-op threads: `requested` (the CLI: DRIN_ORT_THREADS) when ≥ 1, else every core. */
export function ortThreads(requested?: number): number {
  if (requested !== undefined && requested >= 1) return Math.floor(requested);
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/** How onnxruntime runs a graph (the CLI fills the last three from DRIN_ORT_THREADS, DRIN_CUDA_DEVICE, DRIN_TF32). */
export interface OrtRunOptions {
  /** Intra-op threads when the constructor gets none (default: every core). */
  threads?: number;
  /** The CUDA device index (default 0). */
  cudaDevice?: number;
  /** Leave TF32 on for CUDA MatMul (default false: full float32). */
  tf32?: boolean;
}

/** Where a session runs: the CPU provider, or CUDA device `cudaDevice` (default 0). */
export interface OrtSessionOptions extends OrtRunOptions {
  device?: 'cpu' | 'cuda';
  /**
   * onnxruntime's per-node profiler: a file prefix; every run is recorded and `endProfiling()` writes
   * `<prefix>_<date>.json` (Chrome trace format: one event per node with its duration in µs).
   */
  profilePrefix?: string;
  /**
   * Let idle intra-op threads spin between ops (onnxruntime's default, true): lower latency on an idle
   * machine; false makes them sleep, which leaves the cores to other processes (and to the busy thread)
   * on a shared one.
   */
  allowSpinning?: boolean;
}

/** The executionProviders list for `device` (CUDA: exports NVIDIA_TF32_OVERRIDE=0 unless `tf32`). */
export function ortExecutionProviders(device: 'cpu' | 'cuda' = 'cpu', opts: OrtRunOptions = {}): Array<string | { name: string; deviceId: number }> {
  if (device === 'cpu') return ['cpu'];
  if (!opts.tf32) process.env.NVIDIA_TF32_OVERRIDE ??= '0';
  return [{ name: 'cuda', deviceId: opts.cudaDevice ?? 0 }];
}

/** One loaded graph. `run` is synchronous and returns fresh Float32Arrays. */
export class OrtSession {
  private native: NativeSession;
  private readonly Tensor: OrtModules['Tensor'];
  readonly device: 'cpu' | 'cuda';

  constructor(model: Uint8Array, threads?: number, opts: OrtSessionOptions = {}) {
    const why = ortUnavailable();
    if (why) throw new Error(why);
    this.device = opts.device ?? 'cpu';
    this.Tensor = modules!.Tensor;
    this.native = new modules!.Session();
    this.native.loadModel(model.buffer, model.byteOffset, model.byteLength, {
      executionProviders: ortExecutionProviders(this.device, opts),
      intraOpNumThreads: threads ?? ortThreads(opts.threads),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      ...(opts.profilePrefix ? { enableProfiling: true, profileFilePrefix: opts.profilePrefix } : {}),
      ...(opts.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
    });
  }

  /** Stop the profiler of a session made with `profilePrefix` and write its file. */
  endProfiling(): void {
    this.native.endProfiling();
  }

  /**
   * Run with `feeds` and return the outputs named in `fetch`. `into` names outputs to write into the
   * caller's buffers instead (no fresh array; their shapes must match the graph's); they are not returned.
   */
  run(feeds: Record<string, OrtFeed>, fetch: string[], into: Record<string, OrtFeed> = {}): Record<string, Float32Array> {
    const t: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(feeds)) t[k] = new this.Tensor('float32', v.data, v.dims);
    const fetches: Record<string, unknown> = Object.fromEntries(fetch.map((k) => [k, null]));
    for (const [k, v] of Object.entries(into)) fetches[k] = new this.Tensor('float32', v.data, v.dims);
    const out = this.native.run(t, fetches as Record<string, null>, {});
    const res: Record<string, Float32Array> = {};
    for (const k of fetch) res[k] = out[k].data;
    return res;
  }

  dispose(): void {
    this.native.dispose();
  }
}
