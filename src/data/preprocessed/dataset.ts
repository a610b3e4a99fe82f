/**
 * An opened preprocessed directory and its batches: rows read on demand (positioned reads), entity
 * rows through an LRU, the next batch read while the current one is used. Batches follow the reference
 * loader (drin/data.py, baselines/data.py): positions + 1 for CLS, one-hot label rows of zeros when the
 * gold is absent, int64 → int32.
 */
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { RESULTS } from '../../paths';
import { seededPermutation } from '../../random';
import { NpyRowCache } from '../cache';
import { decodeNpyBytes, NpyData, NpyFile, readNpy, toInt32 } from '../npy';
import { ensureEntityTextCache } from './entity-text-cache';
import {
  BaselineBatchOptions, BatchOptions, detectPreprocessedLayout, EntityTextReducer, HostBatch, HostTensor, OpenPreprocessedOptions,
  PREPROCESSED_SPLITS, PreprocessedBatch, PreprocessedDims, PreprocessedLayout, PreprocessedSplit, PreprocessedValidationError, SplitState, SplitSummary,
} from './layout';
import { validateDir, ValidationResult } from './validate';
import { asFloat32 } from './arrays';

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
    const dims = { entities: this.dims.entities!, entityTokens: this.dims.entityTokens!, textDim: this.dims.textDim };
    ensureEntityTextCache(src, this.entityMask!, dims, this.cacheDir, this.reducedCachePath, reduce, opts);
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
