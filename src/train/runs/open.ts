/**
 * Opening a preprocessed directory for a run: src/data's `openPreprocessed` with DRIN's
 * `reduceEntityText` wired in, so `entityText: 'reduced'` batches work (src/data knows no model; this is
 * where the two meet). The library's `openPreprocessed` (src/index.ts) is this function.
 */
import { openPreprocessed, OpenPreprocessedOptions, PreprocessedDataset } from '../../data/preprocessed';
import { reduceEntityText } from '../../models/vertices';

/** `openPreprocessed(dir, opts)` with `reduceEntityText` defaulting to DRIN's. */
export function openPreprocessedForDrin(dir: string, opts: OpenPreprocessedOptions = {}): PreprocessedDataset {
  return openPreprocessed(dir, { reduceEntityText, ...opts });
}
