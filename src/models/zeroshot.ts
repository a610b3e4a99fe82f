/**
 * Zero-shot rankers: floors that need no training, computed from the preprocessed features alone
 * (notebooks/05-run-baselines.ipynb puts them in the results table beside the trained models).
 *
 * B batch, R candidate slots (C + 1, last = gold), T mention tokens, L entity tokens, Dt BERT size.
 *
 * - CLIP: the preprocessed release keeps CLIP's cross-modal similarities (100 × cosine):
 *   `miet_similarity` (mention image vs entity text) and `mtei_similarity` (mention text vs entity
 *   image), both [B, R]. The ranker scores a candidate by their mean (or one of them).
 * - BERT CLS: cosine between the mention sentence's CLS token and the entity text's CLS token
 *   (WikiMEL: token 0 of the entity text, or `entity_text_cls`; WikiDiverse: the pooled entity
 *   vector, the only one the release keeps).
 * - Image: cosine between the mention image's ResNet feature (mean over its regions) and each
 *   entity image's pooled ResNet feature: image only.
 */
import * as tf from '@tensorflow/tfjs';
import type { RankingModel } from './ranking-model';
import { torchCosineSimilarity } from '../nn';

function need(batch: Record<string, tf.Tensor>, key: string, who: string): tf.Tensor {
  const t = batch[key];
  if (!t) throw new Error(`${who}: batch lacks '${key}' (have: ${Object.keys(batch).join(', ')})`);
  return t;
}

/** Which CLIP similarities the CLIP zero-shot ranker averages. */
export type ClipZeroShotSource = 'both' | 'miet' | 'mtei';

/**
 * CLIP zero-shot ranker: scores `[B, R]` = mean of the chosen CLIP similarities (DRIN batch keys
 * `miet_similarity`, `mtei_similarity`). No parameters.
 *
 * ```ts
 * const clip = createClipZeroShot();
 * const s = clip.scores(batch); // [B, R]
 * ```
 */
export function createClipZeroShot(source: ClipZeroShotSource = 'both'): RankingModel {
  return {
    name: source === 'both' ? 'clip-zero-shot' : `clip-zero-shot-${source}`,
    params: new Map(),
    scores: (batch) =>
      tf.tidy(() => {
        const who = 'CLIP zero-shot';
        if (source === 'miet') return need(batch, 'miet_similarity', who).toFloat() as tf.Tensor2D;
        if (source === 'mtei') return need(batch, 'mtei_similarity', who).toFloat() as tf.Tensor2D;
        const a = need(batch, 'miet_similarity', who).toFloat(); // [B, R]
        const b = need(batch, 'mtei_similarity', who).toFloat(); // [B, R]
        return tf.div(tf.add(a, b), 2) as tf.Tensor2D; // [B, R]
      }),
  };
}

/** The entity CLS vector per candidate slot `[B, R, Dt]` from whichever entity text form the batch has. */
export function entityClsVector(batch: Record<string, tf.Tensor>): tf.Tensor3D {
  if (batch.entity_text_cls) return batch.entity_text_cls as tf.Tensor3D;
  const f = need(batch, 'entity_text_feature', 'BERT zero-shot');
  if (f.rank === 3) return f as tf.Tensor3D; // WikiDiverse: one pooled vector per candidate
  if (f.rank === 4) {
    const [B, R, , D] = f.shape as [number, number, number, number];
    return f.slice([0, 0, 0, 0], [B, R, 1, D]).reshape([B, R, D]) as tf.Tensor3D; // token 0 = CLS
  }
  throw new Error(`BERT zero-shot: entity_text_feature must be [B,R,Dt] or [B,R,L,Dt], got [${f.shape}]`);
}

/**
 * BERT-CLS zero-shot ranker: cosine(mention CLS `[B, Dt]`, entity CLS `[B, R, Dt]`) → `[B, R]`.
 * No parameters, text only.
 */
export function createBertZeroShot(): RankingModel {
  return {
    name: 'bert-zero-shot',
    params: new Map(),
    scores: (batch) =>
      tf.tidy(() => {
        const text = need(batch, 'mention_text_feature', 'BERT zero-shot'); // [B, T, Dt]
        const [B, , D] = text.shape as [number, number, number];
        const cls = text.slice([0, 0, 0], [B, 1, D]); // [B, 1, Dt]
        return torchCosineSimilarity(cls, entityClsVector(batch)) as tf.Tensor2D; // [B, R]
      }),
  };
}

/**
 * Image-only zero-shot ranker: cosine(mention image `[B, Rg, Di]` averaged over regions → `[B, Di]`,
 * entity image `[B, R, Di]` or `[B, R, 1, Di]`) → `[B, R]`. No parameters, no text.
 */
export function createImageZeroShot(): RankingModel {
  return {
    name: 'image-zero-shot',
    params: new Map(),
    scores: (batch) =>
      tf.tidy(() => {
        const who = 'image zero-shot';
        const m = need(batch, 'mention_image_feature', who); // [B, Rg, Di] or [B, Di]
        const e = need(batch, 'entity_image_feature', who); // [B, R, (1,) Di]
        const mv = m.rank === 3 ? m.mean(1) : m; // [B, Di]
        const ev = e.rank === 4 ? e.mean(2) : e; // [B, R, Di]
        if (mv.rank !== 2 || ev.rank !== 3) throw new Error(`${who}: expected mention image [B,Rg,Di] and entity image [B,R,(1,)Di], got [${m.shape}] and [${e.shape}]`);
        const [B, D] = mv.shape as [number, number];
        return torchCosineSimilarity(mv.reshape([B, 1, D]), ev) as tf.Tensor2D; // [B, R]
      }),
  };
}
