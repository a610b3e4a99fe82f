/**
 * Adapters from an opened preprocessed directory (src/data `openPreprocessed`) to the loop's splits.
 */
import type { PreprocessedDataset } from '../data/preprocessed';
import { RankingSplit } from './loop';
import type { RankingBatch } from './model';

export interface DatasetSplitOptions {
  batchSize: number;
  /** WikiMEL entity text form: 'reduced' (pooled + CLS from the derived cache; the memory-saving form) or 'raw'. */
  entityText?: 'raw' | 'reduced';
  /** Only the first `limit` mentions of each split (after shuffling), for quick runs. */
  limit?: number;
}

/** train / valid / test splits of DRIN batches; the train split is shuffled by the loop's per-epoch seed. */
export function drinSplitsFromDataset(ds: PreprocessedDataset, o: DatasetSplitOptions): { train: RankingSplit; valid: RankingSplit; test: RankingSplit } {
  const make = (split: 'train' | 'valid' | 'test'): RankingSplit => ({
    size: o.limit !== undefined ? Math.min(o.limit, ds.splits[split].mentions) : ds.splits[split].mentions,
    batches: ({ shuffleSeed }) =>
      ds.drinBatches(split, {
        batchSize: o.batchSize,
        shuffle: shuffleSeed !== undefined,
        seed: shuffleSeed,
        entityText: o.entityText,
        limit: o.limit,
      }) as AsyncIterable<RankingBatch>,
  });
  return { train: make('train'), valid: make('valid'), test: make('test') };
}

/** The reference's per-dataset training settings (common/args.py, DRIN): learning rate, margin, batch size, top-k. */
export function referenceTrainSettings(layout: 'wikidiverse' | 'wikimel'): { lr: number; margin: number; batchSize: number; topks: number[] } {
  return layout === 'wikimel'
    ? { lr: 2e-3, margin: 0.5, batchSize: 32, topks: [1, 5, 10, 20, 50] }
    : { lr: 1e-3, margin: 0.25, batchSize: 64, topks: [1, 3, 5] };
}
