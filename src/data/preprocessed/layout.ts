/**
 * The two layouts of the DRIN preprocessed release: file names, dimensions, the batch shapes handed
 * to models, and the options of opening and batching (see index.ts for the overview).
 *
 * Shapes: M mentions, R slots, C = R − 1 candidates, T mention tokens, Dt BERT size, Rg image regions,
 * Di ResNet size, K mention objects, N entities (WikiMEL), L entity tokens (WikiMEL).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { NpyFile } from '../npy';

export const PREPROCESSED_SPLITS = ['train', 'valid', 'test'] as const;
export type PreprocessedSplit = (typeof PREPROCESSED_SPLITS)[number];
export type PreprocessedLayout = 'wikidiverse' | 'wikimel';

/** Per-split mention files, both layouts. */
const MENTION_FILES = [
  'answer', 'start-pos', 'end-pos', 'mention-text-feature', 'mention-text-mask', 'mention-text-raw',
  'mention-image-feature', 'mention-object-feature', 'mention-object-score', 'similarity-miet', 'similarity-eimt',
] as const;
/** Per-split entity files of the WikiDiverse layout (+ mention-image-path). */
const WD_SPLIT_FILES = [
  'entity-attr-feature', 'entity-attr-raw', 'entity-image-feature', 'entity-image-path',
  'entity-object-feature', 'entity-object-score', 'mention-image-path',
] as const;
/** Per-split file of the WikiMEL layout. */
const MEL_SPLIT_FILES = ['entity-name-raw'] as const;
/** Shared WikiMEL entity files. */
const MEL_ENTITY_FILES = [
  'entity-attr-feature.npy', 'entity-attr-mask.npy', 'entity-image-feature_all.npy',
  'entity-object-feature_all.npy', 'entity-object-score_all.npy',
] as const;

/** All file names a layout must hold (54 for WikiDiverse, 42 for WikiMEL). */
export function preprocessedFileNames(layout: PreprocessedLayout): string[] {
  const perSplit = layout === 'wikidiverse' ? [...MENTION_FILES, ...WD_SPLIT_FILES] : [...MENTION_FILES, ...MEL_SPLIT_FILES];
  const names = PREPROCESSED_SPLITS.flatMap((s) => perSplit.map((f) => `${f}_${s}.npy`));
  if (layout === 'wikimel') names.push(...MEL_ENTITY_FILES, 'qid2idx.json');
  return names.sort();
}

/** Feature sizes shared by every split. */
export interface PreprocessedDims {
  /** Candidate slots R (= C + 1). */
  slots: number;
  /** Mention tokens T, BERT size Dt. */
  textTokens: number;
  textDim: number;
  /** Mention image regions Rg, ResNet size Di. */
  imageRegions: number;
  imageDim: number;
  /** Mention objects K. */
  mentionObjects: number;
  /** WikiMEL only: entity rows N and entity tokens L. */
  entities?: number;
  entityTokens?: number;
}

/** What `drin validate` prints per split. */
export interface SplitSummary {
  split: PreprocessedSplit;
  mentions: number;
  candidates: number;
  goldAbsent: number;
}

/** All problems found by validation, one message per line (each names the file and what was expected). */
export class PreprocessedValidationError extends Error {
  constructor(readonly dir: string, readonly problems: string[]) {
    super(`${dir}: ${problems.length} problem(s) in the preprocessed directory:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PreprocessedValidationError';
  }
}

/** Host-side tensor (what batches are built from before they become tf tensors). */
export interface HostTensor {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** A batch before it becomes tensors: names as in the fixtures' batch_order + labels, and the split rows. */
export interface HostBatch {
  tensors: Record<string, HostTensor>;
  index: number[];
}

/** A batch of tf tensors (CONTRACTS §3) plus `index` (row numbers in the split). */
export interface PreprocessedBatch {
  [name: string]: tf.Tensor | number[];
  index: number[];
}

/**
 * WikiMEL entity text → DRIN's two vectors: feature [..., L, Dt], mask [..., L] → pooled, cls [..., Dt].
 * The data layer does not know the model: the caller passes DRIN's `reduceEntityText`
 * (src/models/vertices.ts), so the cache and the model reduce with the same function (CONTRACTS §3).
 */
export type EntityTextReducer = (feature: tf.Tensor, mask: tf.Tensor) => { pooled: tf.Tensor; cls: tf.Tensor };

export interface OpenPreprocessedOptions {
  /** Bytes for the LRU of entity rows (WikiMEL), default 1 GiB. */
  entityCacheBytes?: number;
  /** Builds the WikiMEL `entityText: 'reduced'` cache; needed only for that form (the library's `openPreprocessed` in src/index.ts passes DRIN's). */
  reduceEntityText?: EntityTextReducer;
  /** Where derived caches go (default results/cache/<dir name>-<hash>). Never inside the input dir. */
  cacheDir?: string;
}

export interface BatchOptions {
  batchSize?: number;
  /** Default: true for train, false otherwise (as the reference). */
  shuffle?: boolean;
  seed?: string | number;
  /**
   * WikiMEL entity text: 'raw' = entity_text_feature [B,R,L,Dt] + entity_text_mask [B,R,L];
   * 'reduced' = entity_text_pooled + entity_text_cls [B,R,Dt] from the derived cache (built on first use).
   * WikiDiverse ignores it (its entity text is already pooled).
   */
  entityText?: 'raw' | 'reduced';
  /** Only the first `limit` rows of the split (after shuffling). */
  limit?: number;
}

export interface BaselineBatchOptions extends BatchOptions {
  /** 'ghmfc' yields entity_image_feature as zeros [B] (its entity side is text only), 'melhi' the features [B,R,Di]. */
  model: 'ghmfc' | 'melhi';
}

/** Per split: its summary, the small index arrays kept in memory and the open files. */
export interface SplitState {
  summary: SplitSummary;
  answer: Int32Array;
  start: Int32Array;
  end: Int32Array;
  /** WikiMEL: entity row for each (mention, slot), M·R. */
  entityIdx?: Int32Array;
  files: Map<string, NpyFile>;
}

/** Detect the layout of `dir` by its marker files. */
export function detectPreprocessedLayout(dir: string): PreprocessedLayout {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
  if (fs.existsSync(path.join(dir, 'qid2idx.json')) || fs.existsSync(path.join(dir, 'entity-attr-mask.npy'))) return 'wikimel';
  if (fs.existsSync(path.join(dir, 'entity-attr-feature_train.npy')) || fs.existsSync(path.join(dir, 'entity-image-path_train.npy'))) return 'wikidiverse';
  throw new Error(
    `${dir}: neither layout: expected qid2idx.json + entity-attr-feature.npy (WikiMEL, 42 files) or entity-attr-feature_{train,valid,test}.npy (WikiDiverse, 54 files)`,
  );
}

