/**
 * The environment variables the CLI, the benches and the notebooks read, in one place. The library
 * itself reads none of them: each becomes an argument (`initBackend(env.backend)`,
 * `createDrin(cfg, seed, env.drin)`, `loadEncoders({ offline: env.offline })`, `datasetName(env.dataset)`, ...).
 *
 *   DRIN_BACKEND       tensorflow | node | gpu | wasm | cpu   force a tfjs backend (default: fastest found)
 *   DRIN_WASM_THREADS  0..8                                  wasm XNNPACK threads (default: cores, at most 4)
 *   DRIN_ENGINE        auto | ort | tfjs                     DRIN's training engine (default auto)
 *   DRIN_DEVICE        auto | cpu | cuda                     where the ort engines (DRIN, GHMFC), the encoders and the baselines run (default auto; src/device.ts)
 *   DRIN_ORT_THREADS   a positive integer                    onnxruntime intra-op threads of the ort engines (default: every core)
 *   DRIN_CUDA_DEVICE   a GPU index                           the CUDA device of the ort engines (default 0)
 *   DRIN_TF32          1                                     leave TF32 on for CUDA MatMul (default off: full float32)
 *   DRIN_OFFLINE       any non-empty value                   never reach the Hugging Face hub (models, prepare's vocabulary)
 *   DRIN_PROGRESS      1                                     progress bars also when stderr is not a terminal
 *   DRIN_DATASET       a raw dataset directory               the pipeline's dataset (default: the sample)
 *   DRIN_PREPROCESSED  a preprocessed directory              where train reads features (default results/preprocessed/<dataset>)
 *   DRIN_PARITY_DEBUG  any non-empty value                   parity prints its worst unexplained Adam element
 *   CHROMIUM_PATH      a Chromium binary                     for the browser checks and PNG export
 *
 * ```ts
 * const env = readDrinEnv();
 * await initBackend(env.backend);
 * const model = createDrin(cfg, 0, env.drin); // engine, device, onnxruntime options
 * ```
 */
import { wasmThreadsFromEnv } from '../backend-wasm-threads';
import { DeviceRequest, parseDeviceRequest } from '../device';

export type DrinEngineRequest = 'auto' | 'ort' | 'tfjs';

export interface DrinEnv {
  /** Options for `initBackend`. */
  backend: { force?: string; wasmThreads?: number };
  engine: DrinEngineRequest;
  /** `DRIN_DEVICE` (default auto): `resolveOrtDevice` / `resolveEncodeDevice`'s request. */
  device: DeviceRequest;
  /** `DRIN_ORT_THREADS`, `DRIN_CUDA_DEVICE`, `DRIN_TF32`: the ort engine's session options (src/onnx/session.ts). */
  ort: { threads?: number; cudaDevice?: number; tf32: boolean };
  /** createDrin's / runDrinTraining's options from the variables: `{ engine, device, ort }`. */
  drin: { engine: DrinEngineRequest; device: DeviceRequest; ort: DrinEnv['ort'] };
  /** `DRIN_OFFLINE` set: never download (hfSource's `offline`, findVocabulary's `hub: false`). */
  offline: boolean;
  /** `DRIN_PROGRESS=1`: bars outside a terminal too (true), else undefined (the library's default: stderr is a TTY). */
  progress?: boolean;
  /** `DRIN_DATASET` as given (a directory), or undefined. */
  dataset?: string;
  preprocessed?: string;
  parityDebug: boolean;
  chromiumPath?: string;
}

/** Read (and check) the DRIN_* variables. Throws on a value outside the allowed set, naming the variable. */
export function readDrinEnv(env: NodeJS.ProcessEnv = process.env): DrinEnv {
  const str = (k: string): string | undefined => (env[k] !== undefined && env[k]!.trim() !== '' ? env[k]!.trim() : undefined);
  const engine = (str('DRIN_ENGINE') ?? 'auto') as DrinEngineRequest;
  if (!['auto', 'ort', 'tfjs'].includes(engine)) throw new Error(`DRIN_ENGINE='${engine}': expected auto, ort or tfjs`);
  const device = parseDeviceRequest(str('DRIN_DEVICE'), 'DRIN_DEVICE');
  const int = (k: string, min: number): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${k}='${v}': expected an integer >= ${min}`);
    return Number(v);
  };
  const ort = { threads: int('DRIN_ORT_THREADS', 1), cudaDevice: int('DRIN_CUDA_DEVICE', 0), tf32: str('DRIN_TF32') === '1' };
  return {
    backend: { force: str('DRIN_BACKEND'), wasmThreads: wasmThreadsFromEnv(env.DRIN_WASM_THREADS) },
    engine,
    device,
    ort,
    drin: { engine, device, ort },
    offline: Boolean(str('DRIN_OFFLINE')),
    progress: str('DRIN_PROGRESS') === '1' ? true : undefined,
    dataset: str('DRIN_DATASET'),
    preprocessed: str('DRIN_PREPROCESSED'),
    parityDebug: Boolean(str('DRIN_PARITY_DEBUG')),
    chromiumPath: str('CHROMIUM_PATH'),
  };
}
