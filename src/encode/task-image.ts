/**
 * The image tasks of encode (the reference's preprocess/resnet.py): per image the ResNet features
 * (mention: hidden [G, C]; entity: pooled [1, C]), then the top-K detections in the 224×224 frame, each
 * box cropped from the ORIGINAL image (the reference's quirk: boxes of the resized image applied to the
 * unresized one; `cropFrame: 'scaled'` rescales the box instead) and encoded (pooled) →
 * *-object-feature [N, K, 1, C], *-object-score [N, K]; no detection → score 0, box [0,0,50,50].
 * Boxes go to object-boxes/*.npy (not part of the layout) for inspection. Every defaulted image is the
 * same picture: it is encoded once per process and its rows reused.
 */
import { loadImageRGB, cropRGB, type RgbImage } from './images';
import { DETECTOR_INPUT_SIZE as DETECTOR_FRAME } from './detector';
import type { EncoderSet } from './types';
import type { EncodeTask } from './tasks';

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

/** The output files of one image task. */
export interface ImageTaskFiles { feature: string; objFeature: string; objScore: string; boxes: string }

/**
 * The task encoding `images` (paths, null = the default image) as mention (`[N, G, C]`) or entity
 * (`[N, 1, C]`) images with `K` objects each.
 */
export function imageTask(id: string, what: 'mention' | 'entity', images: (string | null)[], K: number, files: ImageTaskFiles,
  enc: EncoderSet, loader: EncodeImageLoader, cropFrame: 'reference' | 'scaled' = 'reference'): EncodeTask {
  const C = enc.image.dim, G = enc.image.regions;
  const fixed = 'fixed128' as const, numpy = 'numpy' as const;
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
        const box = cropFrame === 'scaled'
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
}
