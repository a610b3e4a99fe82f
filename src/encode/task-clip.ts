/**
 * The CLIP similarity tasks of encode (the reference's preprocess/clip.py): for each mention and each of
 * its R = K + 1 candidate slots (gold last), similarity-miet_{s}[m, r] = CLIP logit of mention image m vs
 * candidate r's text and similarity-eimt_{s}[m, r] = mention text m vs candidate r's image. Candidate
 * embeddings are cached per process (keyed by text / image path): candidates repeat across mentions.
 */
import type { RgbImage } from './images';
import { candidateLogits } from './clip';
import type { EncoderSet } from './types';
import type { EncodeTask } from './tasks';
import type { EncodeSplit, PreparedData } from './prepared';
import type { EncodeImageLoader } from './task-image';

/** A maker of the clip task of each split, sharing one cache of candidate embeddings. */
export function clipTasks(data: PreparedData, enc: EncoderSet, loader: EncodeImageLoader): (split: EncodeSplit) => EncodeTask {
  const R = data.slots;
  const numpy = 'numpy' as const;
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
  return (split: EncodeSplit): EncodeTask => {
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
}
