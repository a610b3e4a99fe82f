/**
 * The DRIN preprocessed release: open, validate, and stream batches in bounded memory.
 *
 * Two layouts (see ../shared/README.md, fixtures/preprocessed/):
 * - WikiDiverse (54 files): per split, entity features are stored per (mention, candidate slot):
 *   `entity-attr-feature_{split}.npy` [M·R, Dt] (already pooled), `entity-image-feature_{split}` [M·R, 1, Di], ...
 * - WikiMEL (42 files): entity features once (`entity-attr-feature.npy` [N, L, Dt] + mask [N, L],
 *   `entity-*_all.npy`), candidates per split as QIDs (`entity-name-raw_{split}` [M·R]) mapped to rows
 *   through `qid2idx.json`.
 * Both: mention files per split with M rows; R = C + 1 candidate slots, the last slot holds the gold;
 * `answer == C` means the gold is not among the C candidates.
 *
 * Shapes: M mentions, R slots, C = R − 1 candidates, T mention tokens, Dt BERT size, Rg image regions,
 * Di ResNet size, K mention objects, N entities (WikiMEL), L entity tokens (WikiMEL).
 *
 * Batches follow the reference loader (drin/data.py, baselines/data.py): positions + 1 for CLS,
 * one-hot label rows of zeros when the gold is absent, int64 → int32. Rows are read on demand
 * (positioned reads), entity rows through an LRU, the next batch is read while the current one is used,
 * and WikiMEL's entity token features can be replaced by a derived cache of their reductions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { seededPermutation } from '../random';
import { progressBar } from '../progress';
import { NpyFile, NpyHeader, NpyWriter, decodeNpyBytes, readNpy, readNpyHeader, toInt32, NpyData } from './npy';
import { NpyRowCache } from './cache';
import { RESULTS } from '../paths';

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

interface SplitState {
  summary: SplitSummary;
  answer: Int32Array;
  start: Int32Array;
  end: Int32Array;
  /** WikiMEL: entity row for each (mention, slot), M·R. */
  entityIdx?: Int32Array;
  files: Map<string, NpyFile>;
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const shapeStr = (xs: number[]) => `(${xs.join(', ')}${xs.length === 1 ? ',' : ''})`;

/** Detect the layout of `dir` by its marker files. */
export function detectPreprocessedLayout(dir: string): PreprocessedLayout {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a directory`);
  if (fs.existsSync(path.join(dir, 'qid2idx.json')) || fs.existsSync(path.join(dir, 'entity-attr-mask.npy'))) return 'wikimel';
  if (fs.existsSync(path.join(dir, 'entity-attr-feature_train.npy')) || fs.existsSync(path.join(dir, 'entity-image-path_train.npy'))) return 'wikidiverse';
  throw new Error(
    `${dir}: neither layout: expected qid2idx.json + entity-attr-feature.npy (WikiMEL, 42 files) or entity-attr-feature_{train,valid,test}.npy (WikiDiverse, 54 files)`,
  );
}

/** Float data of any float dtype as Float32Array. */
function asFloat32(file: string, data: NpyData): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new Error(`${file}: expected a float array`);
}

function isFloat(h: NpyHeader) {
  return h.dtype[0] === 'f';
}
function isInt(h: NpyHeader) {
  return h.dtype[0] === 'i' || h.dtype[0] === 'u' || h.dtype === 'b1';
}

/**
 * An opened, validated preprocessed directory. `openPreprocessed(dir)` validates everything up front
 * and throws PreprocessedValidationError listing every problem.
 */
export class PreprocessedDataset {
  readonly dims: PreprocessedDims;
  readonly splits: Record<PreprocessedSplit, SplitSummary>;
  /** WikiMEL: QID → entity row. */
  readonly qid2idx?: Record<string, number>;
  private state: Record<PreprocessedSplit, SplitState>;
  private entityFiles = new Map<string, NpyRowCache>();
  private entityMask?: Int32Array;
  private entityScore?: Float32Array;
  private reducedCache?: NpyRowCache;
  readonly entityCacheBytes: number;
  readonly cacheDir: string;
  private readonly reduceEntityText?: EntityTextReducer;

  private constructor(readonly dir: string, readonly layout: PreprocessedLayout, opts: OpenPreprocessedOptions, v: ValidationResult) {
    this.dims = v.dims;
    this.qid2idx = v.qid2idx;
    this.state = v.state;
    this.entityMask = v.entityMask;
    this.splits = Object.fromEntries(PREPROCESSED_SPLITS.map((s) => [s, v.state[s].summary])) as Record<PreprocessedSplit, SplitSummary>;
    this.entityCacheBytes = opts.entityCacheBytes ?? 1 << 30;
    this.reduceEntityText = opts.reduceEntityText;
    const abs = path.resolve(dir);
    this.cacheDir = opts.cacheDir ?? path.join(RESULTS, 'cache', `${path.basename(abs)}-${crypto.createHash('sha1').update(abs).digest('hex').slice(0, 8)}`);
  }

  /** Open and validate `dir` (layout detected). */
  static open(dir: string, opts: OpenPreprocessedOptions = {}): PreprocessedDataset {
    const layout = detectPreprocessedLayout(dir);
    const v = validateDir(dir, layout);
    if (v.problems.length > 0) {
      for (const s of Object.values(v.state ?? {})) for (const f of s.files.values()) f.close();
      throw new PreprocessedValidationError(dir, v.problems);
    }
    return new PreprocessedDataset(dir, layout, opts, v as ValidationResult);
  }

  /** Candidates C (R − 1). */
  get candidates(): number {
    return this.dims.slots - 1;
  }

  /** One line per split for `drin validate`. */
  describe(): string[] {
    const d = this.dims;
    return PREPROCESSED_SPLITS.map((s) => {
      const x = this.splits[s];
      const ent = this.layout === 'wikimel' ? `, entities ${d.entities} x ${d.entityTokens} tokens` : '';
      return `${s}: ${x.mentions} mentions, ${x.candidates} candidates (+ gold slot), ${x.goldAbsent} gold absent; ` +
        `text ${d.textTokens}x${d.textDim}, image ${d.imageRegions}x${d.imageDim}, ${d.mentionObjects} objects${ent}`;
    });
  }

  private splitFile(split: PreprocessedSplit, name: string): NpyFile {
    const st = this.state[split];
    let f = st.files.get(name);
    if (!f) {
      f = new NpyFile(path.join(this.dir, `${name}_${split}.npy`));
      st.files.set(name, f);
    }
    return f;
  }

  private entityFile(name: string): NpyRowCache {
    let f = this.entityFiles.get(name);
    if (!f) {
      // the token features get most of the budget; the rest share what is left
      const share = name === 'entity-attr-feature.npy' ? 0.6 : 0.2;
      f = new NpyRowCache(path.join(this.dir, name), Math.floor(this.entityCacheBytes * share));
      this.entityFiles.set(name, f);
    }
    return f;
  }

  /** Row order for an epoch: identity, or a seeded Fisher–Yates shuffle. */
  order(split: PreprocessedSplit, opts: BatchOptions = {}): number[] {
    const m = this.splits[split].mentions;
    const shuffle = opts.shuffle ?? split === 'train';
    const idx = shuffle ? seededPermutation(m, opts.seed ?? 0) : Array.from({ length: m }, (_, i) => i);
    return opts.limit !== undefined ? idx.slice(0, opts.limit) : idx;
  }

  private async readMention(split: PreprocessedSplit, name: string, rows: number[]): Promise<{ data: NpyData; shape: number[] }> {
    const f = this.splitFile(split, name);
    const data = decodeNpyBytes(f.header, await f.readRowBytesAtAsync(rows));
    return { data, shape: [rows.length, ...f.header.shape.slice(1)] };
  }

  private async mentionFloat(split: PreprocessedSplit, name: string, rows: number[]): Promise<HostTensor> {
    const r = await this.readMention(split, name, rows);
    return { data: asFloat32(this.splitFile(split, name).path, r.data), shape: r.shape, dtype: 'float32' };
  }

  private async mentionInt(split: PreprocessedSplit, name: string, rows: number[]): Promise<HostTensor> {
    const r = await this.readMention(split, name, rows);
    return { data: toInt32(r.data, this.splitFile(split, name).path), shape: r.shape, dtype: 'int32' };
  }

  /** Mention-side tensors shared by DRIN and baseline batches, plus labels. */
  private async mentionSide(split: PreprocessedSplit, rows: number[], withObjects: boolean): Promise<Record<string, HostTensor>> {
    const st = this.state[split];
    const B = rows.length;
    const C = this.candidates;
    const start = new Int32Array(B);
    const end = new Int32Array(B);
    const answer = new Int32Array(B);
    const onehot = new Float32Array(B * C);
    rows.forEach((r, b) => {
      start[b] = st.start[r] + 1; // +1 for CLS, as the reference loader
      end[b] = st.end[r] + 1;
      answer[b] = st.answer[r];
      if (st.answer[r] < C) onehot[b * C + st.answer[r]] = 1; // answer == C: gold absent, row of zeros
    });
    const jobs: Array<Promise<[string, HostTensor]>> = [
      this.mentionFloat(split, 'mention-text-feature', rows).then((t) => ['mention_text_feature', t]),
      this.mentionInt(split, 'mention-text-mask', rows).then((t) => ['mention_text_mask', t]),
      this.mentionFloat(split, 'mention-image-feature', rows).then((t) => ['mention_image_feature', t]),
    ];
    if (withObjects) {
      jobs.push(
        this.mentionFloat(split, 'mention-object-feature', rows).then((t) => ['mention_object_feature', t]),
        this.mentionFloat(split, 'mention-object-score', rows).then((t) => ['mention_object_score', t]),
        this.mentionFloat(split, 'similarity-miet', rows).then((t) => ['miet_similarity', t]),
        this.mentionFloat(split, 'similarity-eimt', rows).then((t) => ['mtei_similarity', t]),
      );
    }
    const out: Record<string, HostTensor> = Object.fromEntries(await Promise.all(jobs));
    out.mention_start_pos = { data: start, shape: [B], dtype: 'int32' };
    out.mention_end_pos = { data: end, shape: [B], dtype: 'int32' };
    out.answer_index = { data: answer, shape: [B], dtype: 'int32' };
    out.answer_onehot = { data: onehot, shape: [B, C], dtype: 'float32' };
    return out;
  }

  /** WikiDiverse: rows m·R .. m·R + R − 1 of a per-split entity file, reshaped to [B, R, ...]. */
  private async wdEntity(split: PreprocessedSplit, name: string, rows: number[], shape: number[]): Promise<HostTensor> {
    const R = this.dims.slots;
    const flat = rows.flatMap((m) => Array.from({ length: R }, (_, r) => m * R + r));
    const f = this.splitFile(split, name);
    const data = asFloat32(f.path, decodeNpyBytes(f.header, await f.readRowBytesAtAsync(flat)));
    return { data, shape: [rows.length, R, ...shape], dtype: 'float32' };
  }

  /** WikiMEL: entity rows (via qid2idx) of the shared files, [B, R, ...row shape]. */
  private entityRows(split: PreprocessedSplit, rows: number[]): number[] {
    const R = this.dims.slots;
    const idx = this.state[split].entityIdx!;
    return rows.flatMap((m) => Array.from(idx.subarray(m * R, (m + 1) * R)));
  }

  private async melEntity(name: string, ent: number[], B: number): Promise<HostTensor> {
    const f = this.entityFile(name);
    const data = asFloat32(f.file.path, decodeNpyBytes(f.header, await f.gather(ent)));
    return { data, shape: [B, this.dims.slots, ...f.header.shape.slice(1)], dtype: 'float32' };
  }

  private melEntityMask(ent: number[], B: number): HostTensor {
    const L = this.dims.entityTokens!;
    const out = new Int32Array(ent.length * L);
    ent.forEach((e, i) => out.set(this.entityMask!.subarray(e * L, (e + 1) * L), i * L));
    return { data: out, shape: [B, this.dims.slots, L], dtype: 'int32' };
  }

  private async melReducedText(ent: number[], B: number): Promise<Record<string, HostTensor>> {
    const cache = await this.ensureReducedCache();
    const Dt = this.dims.textDim;
    const both = asFloat32(cache.file.path, decodeNpyBytes(cache.header, await cache.gather(ent))); // [n,2,Dt]
    const pooled = new Float32Array(ent.length * Dt);
    const cls = new Float32Array(ent.length * Dt);
    for (let i = 0; i < ent.length; i++) {
      pooled.set(both.subarray((2 * i) * Dt, (2 * i + 1) * Dt), i * Dt);
      cls.set(both.subarray((2 * i + 1) * Dt, (2 * i + 2) * Dt), i * Dt);
    }
    const shape = [B, this.dims.slots, Dt];
    return {
      entity_text_pooled: { data: pooled, shape, dtype: 'float32' },
      entity_text_cls: { data: cls, shape, dtype: 'float32' },
    };
  }

  /**
   * Host arrays of a DRIN batch for split rows `rows`: the 14 tensors of the fixtures' batch_order
   * (or the reduced entity text pair) plus answer_index / answer_onehot.
   */
  async drinHostBatch(split: PreprocessedSplit, rows: number[], opts: BatchOptions = {}): Promise<HostBatch> {
    const B = rows.length;
    const R = this.dims.slots;
    const Di = this.dims.imageDim;
    const t: Record<string, HostTensor> = await this.mentionSide(split, rows, true);
    if (this.layout === 'wikidiverse') {
      const [text, img, obj, score] = await Promise.all([
        this.wdEntity(split, 'entity-attr-feature', rows, [this.dims.textDim]),
        this.wdEntity(split, 'entity-image-feature', rows, [Di]),
        this.wdEntity(split, 'entity-object-feature', rows, [1, Di]),
        this.wdEntity(split, 'entity-object-score', rows, [1]),
      ]);
      t.entity_text_feature = text; // [B,R,Dt]
      t.entity_text_mask = { data: new Int32Array(B), shape: [B], dtype: 'int32' }; // the reference yields 0
      t.entity_image_feature = img; // [B,R,Di]
      t.entity_object_feature = obj; // [B,R,1,Di]
      t.entity_object_score = score; // [B,R,1]
    } else {
      const ent = this.entityRows(split, rows);
      const textJob = opts.entityText === 'reduced'
        ? this.melReducedText(ent, B)
        : this.melEntity('entity-attr-feature.npy', ent, B).then((f) => ({
          entity_text_feature: f, // [B,R,L,Dt]
          entity_text_mask: this.melEntityMask(ent, B), // [B,R,L]
        }));
      const [text, img, obj] = await Promise.all([
        textJob,
        this.melEntity('entity-image-feature_all.npy', ent, B), // [B,R,1,Di]
        this.melEntity('entity-object-feature_all.npy', ent, B), // [B,R,1,1,Di]
      ]);
      Object.assign(t, text);
      t.entity_image_feature = img;
      t.entity_object_feature = obj;
      t.entity_object_score = this.melEntityScore(ent, B); // [B,R,1]
    }
    void R;
    return { tensors: t, index: rows.slice() };
  }

  private melEntityScore(ent: number[], B: number): HostTensor {
    if (!this.entityScore) this.entityScore = asFloat32('entity-object-score_all.npy', readNpy(path.join(this.dir, 'entity-object-score_all.npy')).data);
    const per = this.entityScore.length / this.dims.entities!;
    const out = new Float32Array(ent.length * per);
    ent.forEach((e, i) => out.set(this.entityScore!.subarray(e * per, (e + 1) * per), i * per));
    return { data: out, shape: [B, this.dims.slots, per], dtype: 'float32' };
  }

  /**
   * Host arrays of a baseline batch (GHMFC / MEL-HI batch_order): mention text/mask/positions/image,
   * entity text (+ mask on WikiMEL, or the reduced pair), entity image (features for MEL-HI, zeros [B] for GHMFC).
   */
  async baselineHostBatch(split: PreprocessedSplit, rows: number[], opts: BaselineBatchOptions): Promise<HostBatch> {
    const B = rows.length;
    const t = await this.mentionSide(split, rows, false);
    if (this.layout === 'wikidiverse') {
      t.entity_text_feature = await this.wdEntity(split, 'entity-attr-feature', rows, [this.dims.textDim]);
      t.entity_text_mask = { data: new Int32Array(B), shape: [B], dtype: 'int32' };
      t.entity_image_feature = opts.model === 'melhi'
        ? await this.wdEntity(split, 'entity-image-feature', rows, [this.dims.imageDim]) // [B,R,Di]
        : { data: new Int32Array(B), shape: [B], dtype: 'int32' };
    } else {
      const ent = this.entityRows(split, rows);
      if (opts.entityText === 'reduced') Object.assign(t, await this.melReducedText(ent, B));
      else {
        t.entity_text_feature = await this.melEntity('entity-attr-feature.npy', ent, B);
        t.entity_text_mask = this.melEntityMask(ent, B);
      }
      if (opts.model === 'melhi') {
        const img = await this.melEntity('entity-image-feature_all.npy', ent, B);
        t.entity_image_feature = { ...img, shape: [B, this.dims.slots, this.dims.imageDim] }; // [B,R,1,Di] → [B,R,Di]
      } else t.entity_image_feature = { data: new Int32Array(B), shape: [B], dtype: 'int32' };
    }
    return { tensors: t, index: rows.slice() };
  }

  /** DRIN batches for an epoch, read one batch ahead (positioned reads on the thread pool). */
  async *drinBatches(split: PreprocessedSplit, opts: BatchOptions = {}): AsyncGenerator<PreprocessedBatch> {
    yield* this.prefetched(split, opts, (rows) => this.drinHostBatch(split, rows, opts));
  }

  /** Baseline batches (GHMFC / MEL-HI) for an epoch, read one batch ahead. */
  async *baselineBatches(split: PreprocessedSplit, opts: BaselineBatchOptions): AsyncGenerator<PreprocessedBatch> {
    yield* this.prefetched(split, opts, (rows) => this.baselineHostBatch(split, rows, opts));
  }

  /** Number of batches an epoch of `split` yields. */
  numBatches(split: PreprocessedSplit, opts: BatchOptions = {}): number {
    const n = opts.limit !== undefined ? Math.min(opts.limit, this.splits[split].mentions) : this.splits[split].mentions;
    return Math.ceil(n / (opts.batchSize ?? 32));
  }

  private async *prefetched(split: PreprocessedSplit, opts: BatchOptions, load: (rows: number[]) => Promise<HostBatch>): AsyncGenerator<PreprocessedBatch> {
    const order = this.order(split, opts);
    const bs = opts.batchSize ?? 32;
    const chunks: number[][] = [];
    for (let i = 0; i < order.length; i += bs) chunks.push(order.slice(i, i + bs));
    let next = chunks.length > 0 ? load(chunks[0]) : null;
    for (let k = 0; k < chunks.length; k++) {
      const host = await next!;
      next = k + 1 < chunks.length ? load(chunks[k + 1]) : null; // prefetch while the caller works
      next?.catch(() => undefined); // a caller that stops early (and closes) must not see an unhandled rejection
      yield hostBatchToTensors(host);
    }
  }

  /** Path of the derived WikiMEL entity-text cache ([N, 2, Dt]: pooled, CLS). */
  get reducedCachePath(): string {
    return path.join(this.cacheDir, 'entity-text-reduced.npy');
  }

  /**
   * Build (once) the derived cache of per-entity text reductions with the `reduceEntityText` given at open
   * (mean of tokens 1..n−2 and the CLS token), streaming the token features in chunks.
   * Rebuilt when the source file's size or mtime changes.
   */
  async ensureReducedCache(opts: { chunk?: number; progress?: boolean } = {}): Promise<NpyRowCache> {
    if (this.layout !== 'wikimel') throw new Error(`${this.dir}: the reduced entity-text cache is for the WikiMEL layout`);
    if (this.reducedCache) return this.reducedCache;
    const reduce = this.reduceEntityText;
    if (!reduce) {
      throw new Error(`${this.dir}: the reduced entity-text cache needs a reducer: openPreprocessed(dir, { reduceEntityText }) with DRIN's from src/models/vertices.ts (the library's openPreprocessed passes it)`);
    }
    const src = path.join(this.dir, 'entity-attr-feature.npy');
    const st = fs.statSync(src);
    const metaPath = path.join(this.cacheDir, 'entity-text-reduced.json');
    const meta = { source: path.resolve(src), size: st.size, mtimeMs: st.mtimeMs, entities: this.dims.entities, textDim: this.dims.textDim };
    let fresh = false;
    if (fs.existsSync(metaPath) && fs.existsSync(this.reducedCachePath)) {
      try {
        const old = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
        fresh = JSON.stringify(old) === JSON.stringify(meta);
      } catch {
        fresh = false;
      }
    }
    if (!fresh) {
      fs.mkdirSync(this.cacheDir, { recursive: true });
      buildReducedEntityText(src, this.entityMask!, this.dims.entityTokens!, this.reducedCachePath, reduce, opts);
      fs.writeFileSync(metaPath, JSON.stringify(meta));
    }
    this.reducedCache = new NpyRowCache(this.reducedCachePath, Math.floor(this.entityCacheBytes * 0.6));
    return this.reducedCache;
  }

  /** LRU statistics (hits, misses, resident bytes) of the entity files. */
  cacheStats(): Record<string, { hits: number; misses: number; residentBytes: number }> {
    const out: Record<string, { hits: number; misses: number; residentBytes: number }> = {};
    for (const [k, v] of this.entityFiles) out[k] = { hits: v.hits, misses: v.misses, residentBytes: v.residentBytes };
    if (this.reducedCache) out['entity-text-reduced'] = { hits: this.reducedCache.hits, misses: this.reducedCache.misses, residentBytes: this.reducedCache.residentBytes };
    return out;
  }

  /** Close every open file. */
  close(): void {
    for (const s of Object.values(this.state)) {
      for (const f of s.files.values()) f.close();
      s.files.clear();
    }
    for (const f of this.entityFiles.values()) f.close();
    this.entityFiles.clear();
    this.reducedCache?.close();
    this.reducedCache = undefined;
  }
}

/** Open and validate a preprocessed directory (either layout). */
export function openPreprocessed(dir: string, opts: OpenPreprocessedOptions = {}): PreprocessedDataset {
  return PreprocessedDataset.open(dir, opts);
}

/** Host batch → tf tensors (+ index). The caller disposes them. */
export function hostBatchToTensors(host: HostBatch): PreprocessedBatch {
  const out: PreprocessedBatch = { index: host.index };
  for (const [k, v] of Object.entries(host.tensors)) out[k] = tf.tensor(v.data, v.shape, v.dtype);
  return out;
}

/**
 * Stream `[N, L, Dt]` entity token features through `reduce` (DRIN's `reduceEntityText`) into `[N, 2, Dt]`
 * (row i: pooled, CLS). Memory: one chunk of rows at a time.
 */
export function buildReducedEntityText(
  featurePath: string, mask: Int32Array, L: number, outPath: string, reduce: EntityTextReducer, opts: { chunk?: number; progress?: boolean } = {},
): void {
  const f = new NpyFile(featurePath);
  const [N, L2, Dt] = f.header.shape;
  if (L2 !== L) throw new Error(`${featurePath}: ${L2} tokens per entity, mask has ${L}`);
  const w = new NpyWriter(outPath, { dtype: 'f4', rowShape: [2, Dt] });
  const chunk = opts.chunk ?? 256;
  const bar = progressBar({ label: 'entity text cache', total: N, unit: 'entities', show: !!opts.progress && N > chunk });
  try {
    for (let a = 0; a < N; a += chunk) {
      const b = Math.min(N, a + chunk);
      const x = f.readRows(a, b);
      const rows = tf.tidy(() => {
        const feat = tf.tensor(asFloat32(featurePath, x.data), [b - a, L, Dt]); // [n,L,Dt]
        const m = tf.tensor(mask.subarray(a * L, b * L), [b - a, L], 'int32'); // [n,L]
        const { pooled, cls } = reduce(feat, m); // [n,Dt] each
        return tf.stack([pooled, cls], 1); // [n,2,Dt]
      });
      w.append(rows.dataSync() as Float32Array);
      rows.dispose();
      bar.update(b);
    }
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  } finally {
    bar.stop();
    f.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

interface ValidationResult {
  problems: string[];
  dims: PreprocessedDims;
  state: Record<PreprocessedSplit, SplitState>;
  qid2idx?: Record<string, number>;
  entityMask?: Int32Array;
}

/**
 * Check every file of `dir` against the others: presence, dtypes, shapes (counts, candidate slots,
 * feature sizes), answer range, mention spans, QIDs in qid2idx, entity masks. Collects all problems.
 */
export function validateDir(dir: string, layout: PreprocessedLayout): Partial<ValidationResult> & { problems: string[] } {
  const problems: string[] = [];
  const expected = preprocessedFileNames(layout);
  const missing = expected.filter((n) => !fs.existsSync(path.join(dir, n)));
  if (missing.length > 0) {
    problems.push(`missing ${missing.length} of the ${expected.length} files of the ${layout} layout: ${missing.join(', ')}`);
    return { problems };
  }
  const headers = new Map<string, NpyHeader>();
  for (const n of expected) {
    if (!n.endsWith('.npy')) continue;
    try {
      headers.set(n, readNpyHeader(path.join(dir, n)));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length > 0) return { problems };
  const H = (n: string) => headers.get(n)!;

  // dims from the train split (and the shared WikiMEL files)
  const mtf = H('mention-text-feature_train.npy').shape;
  const mif = H('mention-image-feature_train.npy').shape;
  const mof = H('mention-object-feature_train.npy').shape;
  const sim = H('similarity-miet_train.npy').shape;
  const dims: PreprocessedDims = {
    slots: sim[1], textTokens: mtf[1], textDim: mtf[2], imageRegions: mif[1], imageDim: mif[2], mentionObjects: mof[1],
  };
  if (layout === 'wikimel') {
    const eaf = H('entity-attr-feature.npy').shape;
    dims.entities = eaf[0];
    dims.entityTokens = eaf[1];
  }
  const { slots: R, textTokens: T, textDim: Dt, imageRegions: Rg, imageDim: Di, mentionObjects: K } = dims;
  if (!(R >= 2)) problems.push(`similarity-miet_train.npy: shape ${shapeStr(sim)}, expected (M, R) with R = candidates + 1 >= 2`);

  const expect = (name: string, shape: number[], kind: 'float' | 'int' | 'str', why: string) => {
    const h = H(name);
    const ok = h.shape.length === shape.length && h.shape.every((d, i) => d === shape[i]);
    if (!ok) problems.push(`${name}: shape ${shapeStr(h.shape)}, expected ${shapeStr(shape)} (${why})`);
    const kindOk = kind === 'float' ? isFloat(h) : kind === 'int' ? isInt(h) : h.dtype[0] === 'U' || h.dtype[0] === 'S';
    if (!kindOk) problems.push(`${name}: dtype ${h.descr}, expected a ${kind === 'str' ? 'string (<U / |S)' : kind} array`);
  };

  const state = {} as Record<PreprocessedSplit, SplitState>;
  for (const s of PREPROCESSED_SPLITS) {
    const M = H(`answer_${s}.npy`).shape[0];
    const why = `M = ${M} mentions as in answer_${s}.npy, T = ${T}, Dt = ${Dt}, Rg = ${Rg}, Di = ${Di}, K = ${K}, R = ${R} as in the train split`;
    expect(`answer_${s}.npy`, [M], 'int', why);
    expect(`start-pos_${s}.npy`, [M], 'int', why);
    expect(`end-pos_${s}.npy`, [M], 'int', why);
    expect(`mention-text-feature_${s}.npy`, [M, T, Dt], 'float', why);
    expect(`mention-text-mask_${s}.npy`, [M, T], 'int', why);
    expect(`mention-text-raw_${s}.npy`, [M], 'str', why);
    expect(`mention-image-feature_${s}.npy`, [M, Rg, Di], 'float', why);
    expect(`mention-object-feature_${s}.npy`, [M, K, 1, Di], 'float', why);
    expect(`mention-object-score_${s}.npy`, [M, K], 'float', why);
    expect(`similarity-miet_${s}.npy`, [M, R], 'float', why);
    expect(`similarity-eimt_${s}.npy`, [M, R], 'float', why);
    if (layout === 'wikidiverse') {
      const MR = `M·R = ${M}·${R} rows (one per mention and candidate slot)`;
      expect(`entity-attr-feature_${s}.npy`, [M * R, Dt], 'float', MR);
      expect(`entity-attr-raw_${s}.npy`, [M * R], 'str', MR);
      expect(`entity-image-feature_${s}.npy`, [M * R, 1, Di], 'float', MR);
      expect(`entity-image-path_${s}.npy`, [M * R], 'str', MR);
      expect(`entity-object-feature_${s}.npy`, [M * R, 1, 1, Di], 'float', MR);
      expect(`entity-object-score_${s}.npy`, [M * R, 1], 'float', MR);
      expect(`mention-image-path_${s}.npy`, [M], 'str', why);
    } else {
      expect(`entity-name-raw_${s}.npy`, [M * R], 'str', `M·R = ${M}·${R} candidate QIDs`);
    }
    state[s] = {
      summary: { split: s, mentions: M, candidates: R - 1, goldAbsent: 0 },
      answer: new Int32Array(0), start: new Int32Array(0), end: new Int32Array(0), files: new Map(),
    };
  }
  let qid2idx: Record<string, number> | undefined;
  let entityMask: Int32Array | undefined;
  if (layout === 'wikimel') {
    const N = dims.entities!;
    const L = dims.entityTokens!;
    const why = `N = ${N} entities, L = ${L} tokens as in entity-attr-feature.npy, Di = ${Di}`;
    expect('entity-attr-feature.npy', [N, L, Dt], 'float', `Dt = ${Dt} as the mention text`);
    expect('entity-attr-mask.npy', [N, L], 'int', why);
    expect('entity-image-feature_all.npy', [N, 1, Di], 'float', why);
    expect('entity-object-feature_all.npy', [N, 1, 1, Di], 'float', why);
    expect('entity-object-score_all.npy', [N, 1], 'float', why);
    const qp = path.join(dir, 'qid2idx.json');
    try {
      qid2idx = JSON.parse(fs.readFileSync(qp, 'utf8'));
      if (typeof qid2idx !== 'object' || qid2idx === null || Array.isArray(qid2idx)) throw new Error('not an object');
      for (const [q, i] of Object.entries(qid2idx)) {
        if (!Number.isInteger(i) || i < 0 || i >= N) {
          problems.push(`qid2idx.json: ${q} → ${i}, expected an integer row in [0, ${N}) of entity-attr-feature.npy`);
          break;
        }
      }
    } catch (e) {
      problems.push(`qid2idx.json: cannot parse (${(e as Error).message}); expected {"Q123": row, ...}`);
    }
  }
  if (problems.length > 0) return { problems, dims, state };

  // content checks
  if (layout === 'wikimel') {
    const L = dims.entityTokens!;
    entityMask = toInt32(readNpy(path.join(dir, 'entity-attr-mask.npy')).data, 'entity-attr-mask.npy');
    const short: number[] = [];
    for (let e = 0; e < dims.entities!; e++) {
      let n = 0;
      for (let j = 0; j < L; j++) n += entityMask[e * L + j];
      if (n < 3) short.push(e);
    }
    if (short.length > 0) {
      const inv = new Map(Object.entries(qid2idx!).map(([q, i]) => [i, q]));
      const list = short.slice(0, 5).map((e) => `row ${e}${inv.has(e) ? ` (${inv.get(e)})` : ''}`).join(', ');
      problems.push(`entity-attr-mask.npy: ${short.length} entities have fewer than 3 mask ones (CLS + token + SEP), their pooled text would be NaN: ${list}${short.length > 5 ? ', ...' : ''}`);
    }
  }
  for (const s of PREPROCESSED_SPLITS) {
    const st = state[s];
    const M = st.summary.mentions;
    const C = R - 1;
    st.answer = toInt32(readNpy(path.join(dir, `answer_${s}.npy`)).data, `answer_${s}.npy`);
    st.start = toInt32(readNpy(path.join(dir, `start-pos_${s}.npy`)).data, `start-pos_${s}.npy`);
    st.end = toInt32(readNpy(path.join(dir, `end-pos_${s}.npy`)).data, `end-pos_${s}.npy`);
    let mentionText: string[] | null = null;
    const mentionName = (i: number) => {
      mentionText ??= readNpy(path.join(dir, `mention-text-raw_${s}.npy`)).data as string[];
      const t = mentionText[i] ?? '';
      return `${s} row ${i} ("${t.length > 60 ? t.slice(0, 57) + '...' : t}")`;
    };
    const bad: string[] = [];
    for (let i = 0; i < M; i++) {
      const a = st.answer[i];
      if (a < 0 || a > C) bad.push(`answer_${s}.npy: ${mentionName(i)} answer ${a}, expected 0..${C} (${C} = gold absent)`);
      if (a === C) st.summary.goldAbsent++;
      const b = st.start[i];
      const e = st.end[i];
      if (b === e) bad.push(`start-pos_${s}.npy / end-pos_${s}.npy: ${mentionName(i)} has an empty mention span (start == end == ${b}); the reference would average zero tokens (NaN)`);
      else if (b < 0 || b > e || e + 1 > T) bad.push(`start-pos_${s}.npy / end-pos_${s}.npy: ${mentionName(i)} span [${b}, ${e}) expected 0 <= start < end <= ${T - 1} (T = ${T} tokens incl. CLS)`);
      if (bad.length >= 20) break;
    }
    problems.push(...bad);
    if (layout === 'wikimel') {
      const name = `entity-name-raw_${s}.npy`;
      const f = new NpyFile(path.join(dir, name));
      const idx = new Int32Array(M * R);
      const absent: string[] = [];
      let absentCount = 0;
      const step = 1 << 16;
      try {
        for (let a = 0; a < M * R; a += step) {
          const b = Math.min(M * R, a + step);
          const q = f.readRows(a, b).data as string[];
          for (let k = 0; k < q.length; k++) {
            const v = qid2idx![q[k]];
            if (v === undefined) {
              absentCount++;
              if (absent.length < 5) absent.push(`${q[k]} (mention ${Math.floor((a + k) / R)}, slot ${(a + k) % R})`);
              idx[a + k] = 0;
            } else idx[a + k] = v;
          }
        }
      } finally {
        f.close();
      }
      if (absentCount > 0) problems.push(`${name}: ${absentCount} candidate QIDs are absent from qid2idx.json: ${absent.join(', ')}${absentCount > 5 ? ', ...' : ''}`);
      st.entityIdx = idx;
    }
  }
  return { problems, dims, state, qid2idx, entityMask };
}
