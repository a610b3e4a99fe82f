/**
 * Where things live. Every notebook and CLI command takes these as defaults,
 * so a notebook that writes a file and the next notebook that reads it agree.
 *
 * data/    committed, small: the embedded synthetic sample (raw layout)
 * results/ git-ignored: everything the pipeline produces
 */
import * as path from 'node:path';

/** Repository root (this file is src/paths.ts or dist/paths.js). */
export const ROOT = path.resolve(__dirname, '..');
/** The shared material beside the checkout (fixtures, real WikiMEL text), if present. */
export const SHARED = path.resolve(ROOT, '..', 'shared');
/** Embedded synthetic sample dataset in the WikiMEL raw layout (committed). */
export const SAMPLE_RAW = path.join(ROOT, 'data', 'sample');
/** Everything the pipeline writes. */
export const RESULTS = path.join(ROOT, 'results');
/** Output of `drin prepare` (notebook 02): text-side files of the preprocessed layout + prepared/*.jsonl. */
export const PREPARED = path.join(RESULTS, 'prepared');
/** Output of `drin encode` (notebook 03): a complete preprocessed directory (features included). */
export const PREPROCESSED = path.join(RESULTS, 'preprocessed');
/** Training runs (notebooks 04, 05): checkpoints, history, per-mention predictions. */
export const RUNS = path.join(RESULTS, 'runs');
/** Figures written by the notebooks (PNG / HTML). */
export const FIGURES = path.join(RESULTS, 'figures');

/** The dataset the pipeline works on: the name of `datasetDir` (the CLI and notebooks pass `DRIN_DATASET`), else the embedded sample. */
export function datasetName(datasetDir?: string): string {
  return datasetDir ? path.basename(path.resolve(datasetDir)) : 'sample';
}
