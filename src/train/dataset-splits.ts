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

/** Training settings per dataset: learning rate, triplet margin, batch size, top-k, epochs, test interval. */
export interface ReferenceTrainSettings {
  lr: number;
  margin: number;
  batchSize: number;
  topks: number[];
  epochs: number;
  testEvery: number;
}

/**
 * The reference's training settings, from the RELEASED repository (starreeze/drin, tag "release 23.07",
 * 2023-07-28, `common/args.py`, unchanged since): for both datasets and every model (DRIN, GHMFC,
 * MEL-HI) learning rate 1e-3, triplet margin 0.25, batch 64, 30 epochs with a test every 10; top-k
 * [1, 5, 10, 20, 50] on WikiMEL, [1, 3, 5] on WikiDiverse.
 */
export function referenceTrainSettings(layout: 'wikidiverse' | 'wikimel'): ReferenceTrainSettings {
  return {
    lr: 1e-3,
    margin: 0.25,
    batchSize: 64,
    topks: layout === 'wikimel' ? [1, 5, 10, 20, 50] : [1, 3, 5],
    epochs: 30,
    testEvery: 10,
  };
}

/**
 * A PRE-RELEASE preset, kept for comparison only: the WikiMEL values of the reference's commit 4f83446
 * ("add config", 2023-03-23, model type `drgcn`): learning rate 2e-3, margin 0.5, batch 32. The
 * released repository replaced them with {@link referenceTrainSettings}.
 */
export const PRE_RELEASE_2023_03_WIKIMEL_SETTINGS: Readonly<ReferenceTrainSettings> = {
  lr: 2e-3,
  margin: 0.5,
  batchSize: 32,
  topks: [1, 5, 10, 20, 50],
  epochs: 30,
  testEvery: 10,
};
