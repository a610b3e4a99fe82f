/**
 * Looking at encoder outputs (notebook 03): detected boxes drawn over an image, a summary of the
 * files of a preprocessed directory, and a quick check that text features carry signal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { readNpyHeader, readNpy } from '../data/npy';
import { detectPreprocessedLayout, validateDir } from '../data/preprocessed';
import { resizeRGB, type RgbImage } from './images';
import { DETECTOR_INPUT_SIZE } from './detector';
import type { Detections } from './types';

const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4'];

/**
 * An SVG of `img` in the detector's 224×224 frame with the kept boxes drawn on it (score and label
 * as captions; padded slots — score 0, box [0,0,50,50] — dashed grey).
 */
export async function detectionsSvg(img: RgbImage, det: Detections, opts: { size?: number; title?: string } = {}): Promise<string> {
  const S = DETECTOR_INPUT_SIZE, size = opts.size ?? 224, k = size / S;
  const im = resizeRGB(img, S, S);
  const png = await sharp(Buffer.from(im.data), { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
  const rects = det.boxes.map((b, i) => {
    const real = i < det.found;
    const c = real ? COLOURS[i % COLOURS.length] : '#999';
    const [x, y, w, h] = [b[0] * k, b[1] * k, (b[2] - b[0]) * k, (b[3] - b[1]) * k];
    return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${c}" stroke-width="2"${real ? '' : ' stroke-dasharray="4 3"'}/>` +
      `<text x="${(x + 3).toFixed(1)}" y="${(y + 12).toFixed(1)}" font-size="11" font-family="sans-serif" fill="${c}" stroke="white" stroke-width="0.6" paint-order="stroke">${real ? `${det.labels[i]} ${det.scores[i].toFixed(2)}` : 'none: 0'}</text>`;
  }).join('');
  const title = opts.title ? `<text x="2" y="${size + 13}" font-size="11" font-family="sans-serif">${opts.title.replace(/[<&>]/g, '')}</text>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + (opts.title ? 16 : 0)}">` +
    `<image href="data:image/png;base64,${png.toString('base64')}" width="${size}" height="${size}"/>${rects}${title}</svg>`;
}

/** One row per .npy file of a preprocessed directory: shape, dtype, header style. */
export function preprocessedSummary(dir: string): { file: string; shape: string; dtype: string; header: string; MB: number }[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.npy')).sort().map((f) => {
    const p = path.join(dir, f);
    const h = readNpyHeader(p);
    const head = Buffer.alloc(128);
    const fd = fs.openSync(p, 'r');
    fs.readSync(fd, head, 0, 128, 0);
    fs.closeSync(fd);
    return { file: f, shape: `(${h.shape.join(', ')})`, dtype: h.descr, header: head[120] === 0x0a ? '128 B, newline-padded' : 'numpy', MB: +(fs.statSync(p).size / 1e6).toFixed(2) };
  });
}

/**
 * Zero-shot check of WikiMEL-layout features: for each mention of `split` whose gold entity is
 * among its C candidates, rank the candidates by a cosine and count top-1 hits.
 * - 'text': the mention sentence's [CLS] feature vs each entity text's [CLS] feature;
 * - 'image': the mention image's regions averaged vs each entity image's pooled feature.
 * Returns top-1 accuracy and the chance rate 1/C: features that carry signal beat chance.
 */
export function zeroShotTop1(dir: string, split: string, modality: 'text' | 'image'): { mentions: number; top1: number; chance: number } {
  const names = readNpy(path.join(dir, `entity-name-raw_${split}.npy`)).data as string[];
  const answer = readNpy(path.join(dir, `answer_${split}.npy`)).data as BigInt64Array;
  const q2i = JSON.parse(fs.readFileSync(path.join(dir, 'qid2idx.json'), 'utf8')) as Record<string, number>;
  let mention: (i: number) => Float32Array, entity: (row: number) => Float32Array, N: number;
  if (modality === 'text') {
    const mtf = readNpy(path.join(dir, `mention-text-feature_${split}.npy`)), eaf = readNpy(path.join(dir, 'entity-attr-feature.npy'));
    const [n, T, D] = mtf.shape, L = eaf.shape[1];
    const m = mtf.data as Float32Array, e = eaf.data as Float32Array;
    N = n;
    mention = (i) => m.subarray(i * T * D, i * T * D + D); // [CLS]
    entity = (r) => e.subarray(r * L * D, r * L * D + D);
  } else {
    const mif = readNpy(path.join(dir, `mention-image-feature_${split}.npy`)), eif = readNpy(path.join(dir, 'entity-image-feature_all.npy'));
    const [n, G, C] = mif.shape;
    const m = mif.data as Float32Array, e = eif.data as Float32Array;
    N = n;
    mention = (i) => { const v = new Float32Array(C); for (let g = 0; g < G; g++) for (let c = 0; c < C; c++) v[c] += m[(i * G + g) * C + c] / G; return v; };
    entity = (r) => e.subarray(r * C, (r + 1) * C);
  }
  const R = names.length / N, Cn = R - 1;
  const cos = (a: Float32Array, b: Float32Array) => {
    let d = 0, na = 0, nb = 0;
    for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    return d / Math.sqrt(na * nb + 1e-12);
  };
  let hit = 0, n = 0;
  for (let i = 0; i < N; i++) {
    const ans = Number(answer[i]);
    if (ans >= Cn) continue;
    const mv = mention(i);
    let best = -1, bestS = -Infinity;
    for (let c = 0; c < Cn; c++) {
      const s = cos(mv, entity(q2i[names[i * R + c]]));
      if (s > bestS) { bestS = s; best = c; }
    }
    n++;
    if (best === ans) hit++;
  }
  return { mentions: n, top1: n ? hit / n : 0, chance: 1 / Cn };
}

/** The data layer's validation of a preprocessed directory (what `npx drin validate` checks): the problems found, [] when valid. */
export function checkPreprocessedDir(dir: string): string[] {
  return validateDir(dir, detectPreprocessedLayout(dir)).problems;
}
