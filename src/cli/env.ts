/**
 * The environment variables the CLI, the benches and the notebooks read, in one place. The library
 * itself reads none of them: each becomes an argument (`initBackend(env.backend)`,
 * `createDrin(cfg, seed, { engine: env.engine })`, `datasetName(env.dataset)`, ...).
 *
 *   DRIN_BACKEND       tensorflow | node | gpu | wasm | cpu   force a tfjs backend (default: fastest found)
 *   DRIN_WASM_THREADS  0..8                                  wasm XNNPACK threads (default: cores, at most 4)
 *   DRIN_ENGINE        auto | ort | tfjs                     DRIN's training engine (default auto)
 *   DRIN_DATASET       a raw dataset directory               the pipeline's dataset (default: the sample)
 *   DRIN_PREPROCESSED  a preprocessed directory              where train reads features (default results/preprocessed/<dataset>)
 *   DRIN_PARITY_DEBUG  any non-empty value                   parity prints its worst unexplained Adam element
 *   CHROMIUM_PATH      a Chromium binary                     for the browser checks and PNG export
 *
 * ```ts
 * const env = readDrinEnv();
 * await initBackend(env.backend);
 * const model = createDrin(cfg, 0, { engine: env.engine });
 * ```
 */
import { wasmThreadsFromEnv } from '../backend-wasm-threads';

export type DrinEngineRequest = 'auto' | 'ort' | 'tfjs';

export interface DrinEnv {
  /** Options for `initBackend`. */
  backend: { force?: string; wasmThreads?: number };
  engine: DrinEngineRequest;
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
  return {
    backend: { force: str('DRIN_BACKEND'), wasmThreads: wasmThreadsFromEnv(env.DRIN_WASM_THREADS) },
    engine,
    dataset: str('DRIN_DATASET'),
    preprocessed: str('DRIN_PREPROCESSED'),
    parityDebug: Boolean(str('DRIN_PARITY_DEBUG')),
    chromiumPath: str('CHROMIUM_PATH'),
  };
}
