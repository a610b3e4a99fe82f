/**
 * The encode driver: a prepared directory (CONTRACTS §2) → a complete preprocessed directory in the
 * reference's layout (WikiMEL: 42 files; WikiDiverse: 54), with any {@link EncoderSet}.
 *
 * Work is cut into TASKS (one per group of output files: mention text of a split, entity text,
 * mention images of a split, entity images, CLIP similarities of a split) and each task into CHUNKS
 * of rows. A finished chunk is a directory `<out>/_encode/<task>/<chunk>/` holding one .npy per
 * output, made visible by an atomic rename — so a run that is killed and restarted skips every
 * finished chunk and recomputes at most the chunks that were in flight. `shard: {index, count}`
 * (CLI `--shard i/n`) takes every n-th chunk, so n processes or cluster jobs can share one output
 * directory; whichever finds all chunks present MERGES them (streaming, with the reference's
 * 128-byte newline-padded headers on the ResNet outputs), copies the text-side files, writes
 * `encode.json` (encoders used — stand-in or real — timings, counts, the vocabulary of prepare's
 * positions and of the BERT tokens, refused when they differ: vocabulary-check.ts) and removes `_encode/`.
 *
 * Semantics (the reference's preprocess/{bert,resnet,clip}.py):
 * - mention-text-feature_{s} [N, 128, D] f4 + mention-text-mask_{s} [N, 128] i8: BERT last hidden state.
 * - WikiMEL entity-attr-feature [E, 64, D] + entity-attr-mask [E, 64], rows in qid2idx order;
 *   WikiDiverse entity-attr-feature_{s} [N·R, D]: the pooler output.
 * - mention-image-feature_{s} [N, 49, C]; entity-image-feature [E, 1, C] (pooled).
 * - objects: top-3 (mention) / top-1 (entity) detections in the 224×224 frame; each box cropped
 *   from the ORIGINAL image (the reference's quirk: boxes of the resized image applied to the
 *   unresized one; `cropFrame: 'scaled'` rescales the box instead) and encoded (pooled) →
 *   *-object-feature [N, K, 1, C], *-object-score [N, K]; no detection → score 0, box [0,0,50,50].
 * - similarity-miet_{s}[m, r] = CLIP logit of mention image m vs candidate r's text;
 *   similarity-eimt_{s}[m, r] = mention text m vs candidate r's image; R = K + 1 slots (gold last),
 *   the candidates of `entity-name-raw_{s}.npy` (WikiMEL) or `entity-attr-raw`/`entity-image-path` (WikiDiverse).
 * Boxes (not part of the layout) go to `<out>/object-boxes/*.npy` for inspection.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NpyWriter, readNpy, writeNpy, type NpyDtype } from '../data/npy';
import { loadImageRGB, cropRGB, decodeRGB, type RgbImage } from './images';
import { IMAGE_LOADER } from '../data/images/rules';
import { DETECTOR_INPUT_SIZE as DETECTOR_FRAME } from './detector';
import { candidateLogits } from './clip';
import type { EncoderSet } from './types';
import { checkTextVocabulary, type TextVocabularyRecord } from './vocabulary-check';

/** The splits of a prepared / preprocessed directory. */
export const ENCODE_SPLITS = ['train', 'valid', 'test'] as const;
export type EncodeSplit = (typeof ENCODE_SPLITS)[number];

/** One output file of a task. */
export interface EncodeOutput {
  /** Path relative to the output directory. */
  file: string;
  dtype: NpyDtype;
  /** Shape of one row. */
  rowShape: number[];
  /** 'fixed128' for the reference's streaming-writer files (ResNet outputs). */
  header: 'numpy' | 'fixed128';
}

/** A unit of encoding work: rows of one kind, written to one or more outputs. */
export interface EncodeTask {
  id: string;
  /** 'text' | 'image' | 'clip' (chooses the chunk size). */
  kind: 'text' | 'image' | 'clip';
  rows: number;
  outputs: EncodeOutput[];
  /** Compute rows [start, end): one flat array per output file, plus counters. */
  run(start: number, end: number): Promise<{ data: Record<string, Float32Array | Int32Array>; counts: Record<string, number> }>;
}

/** Options of {@link encodePrepared}. */
export interface EncodeOptions {
  /** Prepared directory (CONTRACTS §2). */
  prepared: string;
  /** Output preprocessed directory. */
  out: string;
  encoders: EncoderSet;
  /** This process's shard of the chunks (default 0 of 1). */
  shard?: { index: number; count: number };
  /** Rows per chunk by task kind (defaults: text 64, image 16, clip 32). */
  chunkRows?: Partial<Record<EncodeTask['kind'], number>>;
  /** Default image file (else a 224×224 grey image). */
  defaultImage?: string;
  /** 'reference' (default): crop boxes of the 224 frame from the original image; 'scaled': rescale them first. */
  cropFrame?: 'reference' | 'scaled';
  /** Token counts kept (defaults 128 / 64) and objects kept (3 / 1). */
  mentionTokens?: number;
  entityTokens?: number;
  mentionObjects?: number;
  entityObjects?: number;
  /** Merge when every chunk is present (default true). */
  merge?: boolean;
  /** Keep `_encode/` after merging (default false). */
  keepParts?: boolean;
  /** Show cli-progress bars (default: when stderr is a TTY; the CLI passes true). */
  progress?: boolean;
  /** Only build these tasks (ids), e.g. for a quick look. */
  onlyTasks?: string[];
  /** Start from scratch in a private directory and replace `out` when complete (no resume; safe against concurrent runs). */
  fresh?: boolean;
  /** Testing: stop (throw) after computing this many chunks, as a kill would. */
  stopAfterChunks?: number;
  log?: (line: string) => void;
}

/** What a run did. */
export interface EncodeReport {
  out: string;
  layout: 'wikimel' | 'wikidiverse';
  encoders: Record<keyof EncoderSet, { name: string; standin: boolean }>;
  shard: { index: number; count: number };
  tasks: { id: string; rows: number; chunks: number; computed: number; skipped: number; seconds: number; itemsPerSecond: number | null }[];
  counts: Record<string, number>;
  /** True when every chunk was present and the final files were written. */
  merged: boolean;
  seconds: number;
  /** The vocabularies of the prepared token positions and of the BERT tokens (checked equal). */
  vocabulary?: TextVocabularyRecord;
}

/** One line of mentions_{split}.jsonl (the fields encode reads). */
export interface EncodeMentionRecord { id: string; sentence: string; image: string | null; candidates: string[]; goldQid: string }
/** One line of entities.jsonl. */
export interface EncodeEntityRecord { qid: string; name: string; text: string; image: string | null }

function readJsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (expected a prepared directory, see \`drin prepare\`)`);
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l, i) => {
    try { return JSON.parse(l) as T; } catch (e) { throw new Error(`${file}: line ${i + 1} is not JSON (${(e as Error).message})`); }
  });
}

function readStrings(file: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (expected a string .npy written by \`drin prepare\`)`);
  const a = readNpy(file);
  if (!Array.isArray(a.data)) throw new Error(`${file}: expected a string array, got dtype ${a.dtype}`);
  return a.data as string[];
}

/** The prepared directory, read. */
export interface PreparedData {
  dir: string;
  layout: 'wikimel' | 'wikidiverse';
  report: Record<string, unknown>;
  /** Tokenizer folder or vocab.txt named by prepare.json, if any. */
  tokenizer: string | null;
  mentions: Record<EncodeSplit, EncodeMentionRecord[]>;
  mentionTexts: Record<EncodeSplit, string[]>;
  mentionImages: Record<EncodeSplit, (string | null)[]>;
  /** R: candidate slots per mention (K + 1, gold last). */
  slots: number;
  /** Per split, N·R candidate texts and images (row-major [N, R]). */
  candidateTexts: Record<EncodeSplit, string[]>;
  candidateImages: Record<EncodeSplit, (string | null)[]>;
  /** WikiMEL: entities in qid2idx order. */
  entities: EncodeEntityRecord[];
}

/** Read a prepared directory and check that its files agree. */
export function readPrepared(dir: string): PreparedData {
  const pj = path.join(dir, 'prepare.json');
  const report = fs.existsSync(pj) ? (JSON.parse(fs.readFileSync(pj, 'utf8')) as Record<string, unknown>) : {};
  const layout = report.format === 'wikidiverse' || fs.existsSync(path.join(dir, 'entity-attr-raw_train.npy')) ? 'wikidiverse' : 'wikimel';
  let tokenizer = (report.tokenizer as string | undefined) ?? null;
  if (!tokenizer && fs.existsSync(path.join(dir, 'tokenizer'))) tokenizer = path.join(dir, 'tokenizer');
  const entities = readJsonl<EncodeEntityRecord>(path.join(dir, 'entities.jsonl'));
  const byQid = new Map(entities.map((e) => [e.qid, e]));
  const out = { dir, layout, report, tokenizer, entities, slots: 0, mentions: {}, mentionTexts: {}, mentionImages: {}, candidateTexts: {}, candidateImages: {} } as PreparedData;
  if (layout === 'wikimel') {
    const qf = path.join(dir, 'qid2idx.json');
    if (!fs.existsSync(qf)) throw new Error(`${qf}: missing (WikiMEL layout needs qid2idx.json)`);
    const q2i = JSON.parse(fs.readFileSync(qf, 'utf8')) as Record<string, number>;
    const ordered: EncodeEntityRecord[] = new Array(Object.keys(q2i).length);
    for (const [qid, i] of Object.entries(q2i)) {
      const e = byQid.get(qid);
      if (!e) throw new Error(`${path.join(dir, 'entities.jsonl')}: no record for ${qid} (qid2idx.json row ${i})`);
      ordered[i] = e;
    }
    out.entities = ordered;
  }
  for (const split of ENCODE_SPLITS) {
    const ms = readJsonl<EncodeMentionRecord>(path.join(dir, `mentions_${split}.jsonl`));
    const texts = readStrings(path.join(dir, `mention-text-raw_${split}.npy`));
    if (texts.length !== ms.length) throw new Error(`${path.join(dir, `mention-text-raw_${split}.npy`)}: ${texts.length} rows, mentions_${split}.jsonl has ${ms.length}`);
    out.mentions[split] = ms;
    out.mentionTexts[split] = texts;
    if (layout === 'wikimel') {
      const f = path.join(dir, `entity-name-raw_${split}.npy`);
      const qids = readStrings(f);
      const R = ms.length ? qids.length / ms.length : out.slots;
      if (!Number.isInteger(R)) throw new Error(`${f}: ${qids.length} QIDs is not a multiple of the ${ms.length} mentions`);
      if (ms.length && out.slots && R !== out.slots) throw new Error(`${f}: ${R} slots per mention, other splits have ${out.slots}`);
      if (ms.length) out.slots = R;
      out.mentionImages[split] = ms.map((m) => m.image);
      out.candidateTexts[split] = qids.map((q, i) => {
        const e = byQid.get(q);
        if (!e) throw new Error(`${f}: QID ${q} (mention row ${Math.floor(i / R)}) is not in entities.jsonl`);
        return e.text;
      });
      out.candidateImages[split] = qids.map((q) => byQid.get(q)!.image);
    } else {
      const f = (n: string) => path.join(dir, `${n}_${split}.npy`);
      const attr = readStrings(f('entity-attr-raw'));
      const imgs = readStrings(f('entity-image-path'));
      const mimgs = readStrings(f('mention-image-path'));
      const R = ms.length ? attr.length / ms.length : out.slots;
      if (!Number.isInteger(R) || imgs.length !== attr.length) throw new Error(`${f('entity-attr-raw')}: ${attr.length} rows for ${ms.length} mentions (entity-image-path has ${imgs.length})`);
      if (ms.length) out.slots = R;
      out.mentionImages[split] = mimgs.map((p) => p || null);
      out.candidateTexts[split] = attr;
      out.candidateImages[split] = imgs.map((p) => p || null);
    }
  }
  return out;
}

/** The text-side files copied unchanged from the prepared directory. */
export function textSideFiles(layout: 'wikimel' | 'wikidiverse'): string[] {
  const per = ['answer', 'start-pos', 'end-pos', 'mention-text-raw', ...(layout === 'wikimel' ? ['entity-name-raw'] : ['entity-attr-raw', 'entity-image-path', 'mention-image-path'])];
  return [...per.flatMap((p) => ENCODE_SPLITS.map((s) => `${p}_${s}.npy`)), ...(layout === 'wikimel' ? ['qid2idx.json'] : [])];
}

/** A loader with the default image and counts of defaulted images. */
/** Loads images with the default image and counts the defaulted ones. */
export class EncodeImageLoader {
  counts: Record<string, number> = {};
  constructor(private readonly defaultImage: RgbImage | undefined) {}
  async load(p: string | null, what: string): Promise<RgbImage> {
    const img = await loadImageRGB(p, { defaultImage: this.defaultImage });
    if (img.defaulted) this.counts[`${what}ImageDefault:${img.defaulted}`] = (this.counts[`${what}ImageDefault:${img.defaulted}`] ?? 0) + 1;
    return img;
  }
}

/** Build the task list of a prepared dataset. */
export function buildTasks(data: PreparedData, enc: EncoderSet, opts: EncodeOptions, loader: EncodeImageLoader): EncodeTask[] {
  const D = enc.text.dim, C = enc.image.dim, G = enc.image.regions, R = data.slots;
  const Lm = opts.mentionTokens ?? 128, Le = opts.entityTokens ?? 64;
  const Km = opts.mentionObjects ?? 3, Ke = opts.entityObjects ?? 1;
  const fixed = 'fixed128' as const, numpy = 'numpy' as const;
  const tasks: EncodeTask[] = [];

  const textTask = (id: string, texts: string[], L: number, featFile: string, maskFile: string): EncodeTask => ({
    id, kind: 'text', rows: texts.length,
    outputs: [{ file: featFile, dtype: 'f4', rowShape: [L, D], header: numpy }, { file: maskFile, dtype: 'i8', rowShape: [L], header: numpy }],
    async run(s, e) {
      const { hidden, mask } = await enc.text.hidden(texts.slice(s, e), L);
      return { data: { [featFile]: hidden, [maskFile]: mask }, counts: {} };
    },
  });

  const imageTask = (id: string, what: 'mention' | 'entity', images: (string | null)[], K: number, files: { feature: string; objFeature: string; objScore: string; boxes: string }): EncodeTask => {
    type Encoded = { feature: Float32Array; obj: Float32Array; score: Float32Array; box: Float32Array; found: number[] };
    let defaultRows: Encoded | null = null;
    /** Features [n, G, C] (mention) or [n, C] (entity), object features [n, K, C], scores [n, K], boxes [n, K, 4]. */
    const encodeImages = async (imgs: RgbImage[]): Promise<Encoded> => {
      if (imgs.length === 0) return { feature: new Float32Array(0), obj: new Float32Array(0), score: new Float32Array(0), box: new Float32Array(0), found: [] };
      const feats = await enc.image.encode(imgs); // hidden [n, G, C], pooled [n, C]
      const dets = await enc.detector.detect(imgs, K);
      const crops: RgbImage[] = [];
      dets.forEach((d, i) => {
        for (const b of d.boxes) {
          const box = opts.cropFrame === 'scaled'
            ? [b[0] * imgs[i].width / DETECTOR_FRAME, b[1] * imgs[i].height / DETECTOR_FRAME, b[2] * imgs[i].width / DETECTOR_FRAME, b[3] * imgs[i].height / DETECTOR_FRAME]
            : b; // the reference: boxes of the 224 frame cut from the original image
          crops.push(cropRGB(imgs[i], box));
        }
      });
      const obj = await enc.image.encode(crops); // pooled [n·K, C]
      return {
        feature: what === 'mention' ? feats.hidden : feats.pooled, obj: obj.pooled,
        score: Float32Array.from(dets.flatMap((d) => d.scores)), box: Float32Array.from(dets.flatMap((d) => d.boxes.flat())), found: dets.map((d) => d.found),
      };
    };
    return {
      id, kind: 'image', rows: images.length,
      outputs: [
        { file: files.feature, dtype: 'f4', rowShape: what === 'mention' ? [G, C] : [1, C], header: fixed },
        { file: files.objFeature, dtype: 'f4', rowShape: [K, 1, C], header: fixed },
        { file: files.objScore, dtype: 'f4', rowShape: [K], header: fixed },
        { file: files.boxes, dtype: 'f4', rowShape: [K, 4], header: numpy },
      ],
      async run(s, e) {
        const imgs: RgbImage[] = [];
        for (let i = s; i < e; i++) imgs.push(await loader.load(images[i], what));
        // every defaulted image is the same picture: encode it once per process and reuse the rows
        const real = imgs.map((im, i) => (im.defaulted ? -1 : i)).filter((i) => i >= 0);
        const res = await encodeImages(real.map((i) => imgs[i]));
        if (real.length < imgs.length && !defaultRows) defaultRows = await encodeImages([imgs.find((im) => im.defaulted)!]);
        const n = imgs.length, F = what === 'mention' ? G * C : C;
        const out = { feature: new Float32Array(n * F), obj: new Float32Array(n * K * C), score: new Float32Array(n * K), box: new Float32Array(n * K * 4) };
        const counts: Record<string, number> = {};
        let r = 0;
        imgs.forEach((im, i) => {
          const [src, j] = im.defaulted ? [defaultRows!, 0] : [res, r++];
          out.feature.set(src.feature.subarray(j * F, (j + 1) * F), i * F);
          out.obj.set(src.obj.subarray(j * K * C, (j + 1) * K * C), i * K * C);
          out.score.set(src.score.subarray(j * K, (j + 1) * K), i * K);
          out.box.set(src.box.subarray(j * K * 4, (j + 1) * K * 4), i * K * 4);
          counts[`${what}ObjectsFound`] = (counts[`${what}ObjectsFound`] ?? 0) + src.found[j];
          if (src.found[j] === 0) counts[`${what}ImagesWithoutObjects`] = (counts[`${what}ImagesWithoutObjects`] ?? 0) + 1;
        });
        return {
          data: { [files.feature]: out.feature, [files.objFeature]: out.obj, [files.objScore]: out.score, [files.boxes]: out.box },
          counts,
        };
      },
    };
  };

  // per-process caches of candidate embeddings, keyed by text / image path
  const textCache = new Map<string, Float32Array>(), imageCache = new Map<string, Float32Array>();
  const P = enc.clip.dim;
  const cachedEmbeds = async <T>(keys: T[], key: (t: T) => string, cache: Map<string, Float32Array>, compute: (todo: T[]) => Promise<Float32Array>) => {
    const todo: T[] = [], seen = new Set<string>();
    for (const k of keys) { const s = key(k); if (!cache.has(s) && !seen.has(s)) { seen.add(s); todo.push(k); } }
    if (todo.length) {
      const emb = await compute(todo);
      todo.forEach((t, i) => cache.set(key(t), emb.slice(i * P, (i + 1) * P)));
    }
    const out = new Float32Array(keys.length * P);
    keys.forEach((k, i) => out.set(cache.get(key(k))!, i * P));
    return out;
  };
  const clipTask = (split: EncodeSplit): EncodeTask => {
    const miet = `similarity-miet_${split}.npy`, eimt = `similarity-eimt_${split}.npy`;
    return {
      id: `clip_${split}`, kind: 'clip', rows: data.mentions[split].length,
      outputs: [{ file: miet, dtype: 'f4', rowShape: [R], header: numpy }, { file: eimt, dtype: 'f4', rowShape: [R], header: numpy }],
      async run(s, e) {
        const n = e - s;
        const mImgs: RgbImage[] = [];
        for (let i = s; i < e; i++) mImgs.push(await loader.load(data.mentionImages[split][i], 'clipMention'));
        const mImg = await enc.clip.imageEmbeds(mImgs); // [n, P]
        const mTxt = await enc.clip.textEmbeds(data.mentionTexts[split].slice(s, e)); // [n, P]
        const cTxts = data.candidateTexts[split].slice(s * R, e * R);
        const cImgs = data.candidateImages[split].slice(s * R, e * R);
        const cTxt = await cachedEmbeds(cTxts, (t) => t, textCache, (todo) => enc.clip.textEmbeds(todo)); // [n·R, P]
        const cImg = await cachedEmbeds(cImgs, (p) => p ?? '\u0000default', imageCache, async (todo) => {
          const ims: RgbImage[] = [];
          for (const p of todo) ims.push(await loader.load(p, 'clipEntity'));
          return enc.clip.imageEmbeds(ims);
        }); // [n·R, P]
        const index = Int32Array.from({ length: n * R }, (_, i) => i);
        return {
          data: { [miet]: candidateLogits(mImg, cTxt, index, R, P, enc.clip.logitScale), [eimt]: candidateLogits(mTxt, cImg, index, R, P, enc.clip.logitScale) }, // [n, R]
          counts: {},
        };
      },
    };
  };

  for (const split of ENCODE_SPLITS) {
    tasks.push(textTask(`mention-text_${split}`, data.mentionTexts[split], Lm, `mention-text-feature_${split}.npy`, `mention-text-mask_${split}.npy`));
  }
  if (data.layout === 'wikimel') {
    tasks.push(textTask('entity-text', data.entities.map((e) => e.text), Le, 'entity-attr-feature.npy', 'entity-attr-mask.npy'));
  } else {
    for (const split of ENCODE_SPLITS) {
      const texts = data.candidateTexts[split], file = `entity-attr-feature_${split}.npy`;
      tasks.push({
        id: `entity-text_${split}`, kind: 'text', rows: texts.length, outputs: [{ file, dtype: 'f4', rowShape: [D], header: numpy }],
        async run(s, e) { return { data: { [file]: await enc.text.pooled(texts.slice(s, e)) }, counts: {} }; },
      });
    }
  }
  for (const split of ENCODE_SPLITS) {
    tasks.push(imageTask(`mention-image_${split}`, 'mention', data.mentionImages[split], Km, {
      feature: `mention-image-feature_${split}.npy`, objFeature: `mention-object-feature_${split}.npy`,
      objScore: `mention-object-score_${split}.npy`, boxes: `object-boxes/mention-object-box_${split}.npy`,
    }));
  }
  const entityImages = data.layout === 'wikimel' ? [['all', data.entities.map((e) => e.image)] as const] : ENCODE_SPLITS.map((s) => [s, data.candidateImages[s]] as const);
  for (const [suffix, images] of entityImages) {
    tasks.push(imageTask(`entity-image_${suffix}`, 'entity', [...images], Ke, {
      feature: `entity-image-feature_${suffix}.npy`, objFeature: `entity-object-feature_${suffix}.npy`,
      objScore: `entity-object-score_${suffix}.npy`, boxes: `object-boxes/entity-object-box_${suffix}.npy`,
    }));
  }
  for (const split of ENCODE_SPLITS) tasks.push(clipTask(split));
  return opts.onlyTasks ? tasks.filter((t) => opts.onlyTasks!.includes(t.id)) : tasks;
}

/** Parse `i/n` (0-based i). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new Error(`--shard ${text}: expected i/n with 0 <= i < n, e.g. 0/4`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

const chunkName = (c: number) => String(c).padStart(6, '0');

/** Throwable used by `stopAfterChunks` (tests simulate a kill with it). */
export class EncodeInterrupted extends Error {}

function progressBar(enabled: boolean, task: string, total: number) {
  if (!enabled) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- to become src/progress.ts's progressBar (issue #15)
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar({
    format: `${task.padEnd(20)} [{bar}] {value}/{total} rows | {speed} items/s | ETA {eta_formatted}`,
    barsize: 24, hideCursor: false, noTTYOutput: true, notTTYSchedule: 5000, stream: process.stderr,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { speed: '-' });
  return bar;
}

/**
 * Encode a prepared directory into a preprocessed directory (see the file comment). Resumable and
 * shardable; returns what this process did. Throws with the file and row on bad input.
 */
export async function encodePrepared(opts: EncodeOptions): Promise<EncodeReport> {
  if (opts.fresh) {
    // encode into a private directory, then swap it in: concurrent runs never see each other's parts
    const tmp = `${path.resolve(opts.out)}.fresh-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const r = await encodePrepared({ ...opts, out: tmp, fresh: false, shard: undefined });
    fs.rmSync(opts.out, { recursive: true, force: true });
    fs.renameSync(tmp, opts.out);
    const mf = path.join(opts.out, 'encode.json');
    fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').split(tmp).join(path.resolve(opts.out)));
    return { ...r, out: opts.out };
  }
  const t0 = Date.now();
  const log = opts.log ?? ((l: string) => console.log(l));
  const shard = opts.shard ?? { index: 0, count: 1 };
  const data = readPrepared(opts.prepared);
  const vocabulary = checkTextVocabulary(data, opts.encoders.text); // throws when the vocabularies differ
  const defaultImage = opts.defaultImage ? await decodeRGB(opts.defaultImage) : undefined;
  const loader = new EncodeImageLoader(defaultImage);
  const tasks = buildTasks(data, opts.encoders, opts, loader);
  const work = path.join(opts.out, '_encode');
  fs.mkdirSync(work, { recursive: true });
  // never mix features of different encoders in one directory
  const used = Object.fromEntries(Object.entries(opts.encoders).map(([k, e]) => [k, e.name]));
  for (const f of [path.join(work, 'encoders.json'), path.join(opts.out, 'encode.json')]) {
    if (!fs.existsSync(f)) continue;
    const prev = (JSON.parse(fs.readFileSync(f, 'utf8')) as { encoders: Record<string, string | { name: string }> }).encoders;
    const prevNames = Object.fromEntries(Object.entries(prev).map(([k, v]) => [k, typeof v === 'string' ? v : v.name]));
    if (JSON.stringify(prevNames) !== JSON.stringify(used)) {
      throw new Error(`${f}: ${opts.out} holds features of other encoders (${JSON.stringify(prevNames)}; now ${JSON.stringify(used)}): use another --out or delete it`);
    }
  }
  fs.writeFileSync(path.join(work, 'encoders.json'), JSON.stringify({ encoders: used }));
  const chunkRows = { text: 64, image: 16, clip: 32, ...opts.chunkRows };
  const showProgress = opts.progress ?? Boolean(process.stderr.isTTY);
  const counts: Record<string, number> = {};
  const taskReports: EncodeReport['tasks'] = [];
  let globalChunk = 0, computedTotal = 0;

  for (let pass = 0; pass < 2; pass++) {
  if (pass === 1) {
    // a single-shard run must finish: chunks that vanished (another process cleaning the directory) are redone once
    if (shard.count !== 1 || opts.merge === false || !tasks.some((t) => missingChunks(opts.out, t, chunkRows[t.kind]).length)) break;
    log('encode: chunks went missing while running (another process using the same output directory?); redoing them');
    globalChunk = 0;
  }
  for (const task of tasks) {
    const size = chunkRows[task.kind];
    const nChunks = Math.ceil(task.rows / size);
    const dir = path.join(work, task.id);
    fs.mkdirSync(dir, { recursive: true });
    const finalDone = task.outputs.every((o) => fs.existsSync(path.join(opts.out, o.file)));
    const mine: number[] = [];
    for (let c = 0; c < nChunks; c++, globalChunk++) if (globalChunk % shard.count === shard.index) mine.push(c);
    const todo = finalDone ? [] : mine.filter((c) => !fs.existsSync(path.join(dir, chunkName(c))));
    const rowsTodo = todo.reduce((a, c) => a + Math.min(size, task.rows - c * size), 0);
    const ts = Date.now();
    const bar = todo.length ? progressBar(showProgress, task.id, rowsTodo) : null;
    let rowsDone = 0;
    for (const c of todo) {
      if (opts.stopAfterChunks !== undefined && computedTotal >= opts.stopAfterChunks) {
        bar?.stop();
        throw new EncodeInterrupted(`stopped after ${computedTotal} chunks (stopAfterChunks)`);
      }
      const s = c * size, e = Math.min(task.rows, s + size);
      let res;
      try {
        res = await task.run(s, e);
      } catch (err) {
        bar?.stop();
        throw new Error(`encode ${task.id}: rows ${s}..${e - 1} of ${opts.prepared}: ${(err as Error).message}`);
      }
      const tmp = path.join(dir, `${chunkName(c)}.tmp-${shard.index}-${process.pid}`);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      for (const o of task.outputs) {
        const arr = res.data[o.file];
        const n = o.rowShape.reduce((a, b) => a * b, 1) * (e - s);
        if (!arr || arr.length !== n) throw new Error(`encode ${task.id}: ${o.file} got ${arr?.length ?? 0} values for rows ${s}..${e - 1}, expected ${n}`);
        writeNpy(path.join(tmp, path.basename(o.file)), { data: arr, shape: [e - s, ...o.rowShape], dtype: o.dtype });
      }
      fs.writeFileSync(path.join(tmp, 'counts.json'), JSON.stringify({ ...res.counts, ...loader.counts }));
      loader.counts = {};
      try {
        fs.renameSync(tmp, path.join(dir, chunkName(c)));
      } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // another process finished it first
      }
      computedTotal++;
      rowsDone += e - s;
      const secs = (Date.now() - ts) / 1000;
      bar?.update(rowsDone, { speed: (rowsDone / Math.max(secs, 1e-3)).toFixed(1) });
    }
    bar?.stop();
    const secs = (Date.now() - ts) / 1000;
    const prev = taskReports.find((t) => t.id === task.id);
    if (prev) { // second pass (vanished chunks redone): add to the first pass's numbers
      prev.computed += todo.length; prev.skipped -= todo.length; prev.seconds += secs;
    } else {
      taskReports.push({ id: task.id, rows: task.rows, chunks: nChunks, computed: todo.length, skipped: mine.length - todo.length, seconds: secs, itemsPerSecond: todo.length ? rowsDone / Math.max(secs, 1e-3) : null });
    }
    if (todo.length) log(`${task.id}: ${rowsDone} rows in ${todo.length} chunk(s), ${secs.toFixed(1)} s (${(rowsDone / Math.max(secs, 1e-3)).toFixed(1)} items/s)`);
  }
  }

  const enc = opts.encoders;
  const report: EncodeReport = {
    out: opts.out, layout: data.layout, shard,
    encoders: {
      text: { name: enc.text.name, standin: enc.text.standin }, image: { name: enc.image.name, standin: enc.image.standin },
      detector: { name: enc.detector.name, standin: enc.detector.standin }, clip: { name: enc.clip.name, standin: enc.clip.standin },
    },
    tasks: taskReports, counts, merged: false, seconds: 0, vocabulary,
  };
  if (opts.merge !== false) report.merged = mergeParts(opts, data, tasks, chunkRows, report, log);
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}

/** Chunks of `task` not yet finished (none when its final files exist). */
function missingChunks(out: string, task: EncodeTask, size: number): string[] {
  if (task.outputs.every((o) => fs.existsSync(path.join(out, o.file)))) return [];
  const missing: string[] = [];
  for (let c = 0; c < Math.ceil(task.rows / size); c++) if (!fs.existsSync(path.join(out, '_encode', task.id, chunkName(c)))) missing.push(`${task.id}/${chunkName(c)}`);
  return missing;
}

/** Merge finished chunks into the final files if every chunk of every task is present. */
function mergeParts(opts: EncodeOptions, data: PreparedData, tasks: EncodeTask[], chunkRows: Record<EncodeTask['kind'], number>,
  report: EncodeReport, log: (l: string) => void): boolean {
  const work = path.join(opts.out, '_encode');
  const missing = tasks.flatMap((t) => missingChunks(opts.out, t, chunkRows[t.kind]));
  if (missing.length) {
    log(`merge: waiting for ${missing.length} chunk(s) from other shards (e.g. ${missing.slice(0, 3).join(', ')}); rerun \`drin encode\` without --shard to finish`);
    return false;
  }
  const counts: Record<string, number> = {};
  for (const t of tasks) {
    const n = Math.ceil(t.rows / chunkRows[t.kind]);
    for (let c = 0; c < n; c++) {
      const cf = path.join(work, t.id, chunkName(c), 'counts.json');
      if (fs.existsSync(cf)) for (const [k, v] of Object.entries(JSON.parse(fs.readFileSync(cf, 'utf8')) as Record<string, number>)) counts[k] = (counts[k] ?? 0) + v;
    }
    for (const o of t.outputs) {
      const final = path.join(opts.out, o.file);
      if (fs.existsSync(final)) continue;
      fs.mkdirSync(path.dirname(final), { recursive: true });
      const w = new NpyWriter(final, { dtype: o.dtype, rowShape: o.rowShape, header: o.header });
      try {
        for (let c = 0; c < n; c++) w.append(readNpy(path.join(work, t.id, chunkName(c), path.basename(o.file))).data as Float32Array);
        if (w.length !== t.rows) throw new Error(`merge ${o.file}: ${w.length} rows, expected ${t.rows}`);
        w.close();
      } catch (e) {
        w.abort();
        throw e;
      }
    }
  }
  for (const f of textSideFiles(data.layout)) {
    const src = path.join(opts.prepared, f);
    if (!fs.existsSync(src)) throw new Error(`${src}: missing text-side file of the ${data.layout} layout`);
    fs.copyFileSync(src, path.join(opts.out, f));
  }
  report.counts = counts;
  const manifest = {
    ...report, merged: true, prepared: path.resolve(opts.prepared), slots: data.slots,
    note: Object.values(report.encoders).some((e) => e.standin)
      ? 'STAND-IN encoders were used for the parts marked standin: true; those features are deterministic substitutes of the same shapes, not pretrained-model features.'
      : 'pretrained encoders',
    detectorNote: 'objects: DETR (or the stand-in) replaces the reference\'s Faster R-CNN',
    imageLoader: IMAGE_LOADER,
    written: new Date().toISOString(),
  };
  delete (manifest as Partial<typeof manifest>).tasks;
  fs.writeFileSync(path.join(opts.out, 'encode.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (!opts.keepParts) fs.rmSync(work, { recursive: true, force: true });
  log(`merged into ${opts.out} (${data.layout} layout)`);
  return true;
}
