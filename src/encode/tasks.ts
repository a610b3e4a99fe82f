/**
 * What encode computes: the TASKS of a prepared dataset, one per group of output files (mention text of
 * a split, entity text, mention images of a split, entity images, CLIP similarities of a split), each a
 * function of a row range. The driver (encode.ts) cuts them into chunks.
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
 */
import type { NpyDtype } from '../data/npy';
import type { EncoderSet } from './types';
import { ENCODE_SPLITS, type PreparedData } from './prepared';
import { EncodeImageLoader, imageTask } from './task-image';
import { clipTasks } from './task-clip';

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

/** The task options of {@link buildTasks} (part of `EncodeOptions`). */
export interface EncodeTaskOptions {
  /** 'reference' (default): crop boxes of the 224 frame from the original image; 'scaled': rescale them first. */
  cropFrame?: 'reference' | 'scaled';
  /** Token counts kept (defaults 128 / 64) and objects kept (3 / 1). */
  mentionTokens?: number;
  entityTokens?: number;
  mentionObjects?: number;
  entityObjects?: number;
  /** Only build these tasks (ids), e.g. for a quick look. */
  onlyTasks?: string[];
}

/** BERT last hidden state [N, L, D] f4 + its mask [N, L] i8 of `texts`. */
function textTask(enc: EncoderSet, id: string, texts: string[], L: number, featFile: string, maskFile: string): EncodeTask {
  const D = enc.text.dim;
  return {
    id, kind: 'text', rows: texts.length,
    outputs: [{ file: featFile, dtype: 'f4', rowShape: [L, D], header: 'numpy' }, { file: maskFile, dtype: 'i8', rowShape: [L], header: 'numpy' }],
    async run(s, e) {
      const { hidden, mask } = await enc.text.hidden(texts.slice(s, e), L);
      return { data: { [featFile]: hidden, [maskFile]: mask }, counts: {} };
    },
  };
}

/** Build the task list of a prepared dataset. */
export function buildTasks(data: PreparedData, enc: EncoderSet, opts: EncodeTaskOptions, loader: EncodeImageLoader): EncodeTask[] {
  const D = enc.text.dim;
  const Lm = opts.mentionTokens ?? 128, Le = opts.entityTokens ?? 64;
  const Km = opts.mentionObjects ?? 3, Ke = opts.entityObjects ?? 1;
  const numpy = 'numpy' as const;
  const tasks: EncodeTask[] = [];
  const clipTask = clipTasks(data, enc, loader);

  for (const split of ENCODE_SPLITS) {
    tasks.push(textTask(enc, `mention-text_${split}`, data.mentionTexts[split], Lm, `mention-text-feature_${split}.npy`, `mention-text-mask_${split}.npy`));
  }
  if (data.layout === 'wikimel') {
    tasks.push(textTask(enc, 'entity-text', data.entities.map((e) => e.text), Le, 'entity-attr-feature.npy', 'entity-attr-mask.npy'));
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
    }, enc, loader, opts.cropFrame));
  }
  const entityImages = data.layout === 'wikimel' ? [['all', data.entities.map((e) => e.image)] as const] : ENCODE_SPLITS.map((s) => [s, data.candidateImages[s]] as const);
  for (const [suffix, images] of entityImages) {
    tasks.push(imageTask(`entity-image_${suffix}`, 'entity', [...images], Ke, {
      feature: `entity-image-feature_${suffix}.npy`, objFeature: `entity-object-feature_${suffix}.npy`,
      objScore: `entity-object-score_${suffix}.npy`, boxes: `object-boxes/entity-object-box_${suffix}.npy`,
    }, enc, loader, opts.cropFrame));
  }
  for (const split of ENCODE_SPLITS) tasks.push(clipTask(split));
  return opts.onlyTasks ? tasks.filter((t) => opts.onlyTasks!.includes(t.id)) : tasks;
}
