/**
 * Object detection for the object features (the reference: preprocess/resnet.py).
 *
 * SUBSTITUTION: the reference uses torchvision's Faster R-CNN (ResNet-50 FPN, COCO), which has no
 * transformers.js port; here a DETR model (e.g. 'Xenova/detr-resnet-50', COCO too) takes its place.
 * Object features computed with it are DETR-detected crops, not Faster R-CNN crops: expect
 * different boxes and scores (scores are DETR's class probabilities, not Faster R-CNN's).
 *
 * What is kept from the reference: the detector sees the image resized to 224×224; boxes are in
 * that 224 frame; detections are sorted by score and the top K kept (3 for a mention image, 1 for
 * an entity image); missing ones are score 0 with the box [0, 0, 50, 50]. Faster R-CNN keeps boxes
 * scoring over 0.05; the same threshold applies to DETR's queries here.
 *
 * Dimension key: B batch, Q queries, L labels (+1 "no object"), K kept.
 */
import { hfLib, hfSource, hfTensor, readModelJson, type HfLoadOptions } from './hf';
import { batchCHW, readPreprocessorConfig, resizeRGB, IMAGENET_MEAN, IMAGENET_STD, DEFAULT_OBJECT_BOX, type RgbImage, type PreprocessorConfig } from './images';
import type { Detections, ObjectDetector } from './types';

/** The reference's detector input side. */
export const DETECTOR_INPUT_SIZE = 224;
/** torchvision Faster R-CNN's `box_score_thresh`. */
export const DETECTION_SCORE_THRESHOLD = 0.05;

/** Pad a best-first list of detections to K entries with score 0 and the default box. */
export function padDetections(found: { box: number[]; score: number; label: string }[], k: number): Detections {
  const kept = found.slice(0, k);
  return {
    boxes: [...kept.map((d) => d.box), ...Array.from({ length: k - kept.length }, () => [...DEFAULT_OBJECT_BOX])],
    scores: [...kept.map((d) => d.score), ...new Array(k - kept.length).fill(0)],
    labels: [...kept.map((d) => d.label), ...new Array(k - kept.length).fill('')],
    found: kept.length,
  };
}

/**
 * DETR post-processing: softmax over labels, best real label per query, (cx, cy, w, h) in 0..1 →
 * [x0, y0, x1, y1] in a `frame`×`frame` image (clipped), keep score > threshold, best first, top K.
 * logits [B, Q, L+1], boxes [B, Q, 4].
 */
export function detrPostprocess(logits: Float32Array, boxes: Float32Array, B: number, Q: number, L1: number, k: number,
  opts: { threshold?: number; frame?: number; id2label?: Record<string, string> } = {}): Detections[] {
  const thr = opts.threshold ?? DETECTION_SCORE_THRESHOLD, S = opts.frame ?? DETECTOR_INPUT_SIZE;
  const out: Detections[] = [];
  for (let b = 0; b < B; b++) {
    const found: { box: number[]; score: number; label: string; q: number }[] = [];
    for (let q = 0; q < Q; q++) {
      const o = (b * Q + q) * L1;
      let mx = -Infinity;
      for (let l = 0; l < L1; l++) mx = Math.max(mx, logits[o + l]);
      let z = 0;
      for (let l = 0; l < L1; l++) z += Math.exp(logits[o + l] - mx);
      let best = -1, bestP = -1;
      for (let l = 0; l < L1 - 1; l++) {
        const p = Math.exp(logits[o + l] - mx) / z;
        if (p > bestP) { bestP = p; best = l; }
      }
      if (!(bestP > thr)) continue;
      const [cx, cy, w, h] = boxes.subarray((b * Q + q) * 4, (b * Q + q) * 4 + 4);
      const clip = (v: number) => Math.min(S, Math.max(0, v * S));
      found.push({ box: [clip(cx - w / 2), clip(cy - h / 2), clip(cx + w / 2), clip(cy + h / 2)], score: bestP, label: opts.id2label?.[String(best)] ?? String(best), q });
    }
    found.sort((x, y) => y.score - x.score || x.q - y.q);
    out.push(padDetections(found, k));
  }
  return out;
}

/** DETR through transformers.js / onnxruntime-node, standing in for Faster R-CNN. */
export class DetrObjectDetector implements ObjectDetector {
  readonly standin = false;
  private constructor(
    readonly name: string,
    private readonly model: import('@huggingface/transformers').PreTrainedModel,
    private readonly pre: PreprocessorConfig,
    private readonly id2label: Record<string, string>,
    readonly threshold: number,
  ) {}

  /** Load from a local model folder (offline) or a hub name (e.g. 'Xenova/detr-resnet-50'). */
  static async load(src: string, opts: HfLoadOptions & { threshold?: number } = {}): Promise<DetrObjectDetector> {
    const { AutoModelForObjectDetection } = hfLib();
    const { name, options, dir } = hfSource(src, opts);
    const model = await AutoModelForObjectDetection.from_pretrained(name, options);
    const cfg = readModelJson<{ id2label?: Record<string, string> }>(dir, 'config.json') ?? (model.config as unknown as { id2label?: Record<string, string> });
    const pre = readPreprocessorConfig(dir, { size: { shortest_edge: 800, longest_edge: 1333 }, image_mean: IMAGENET_MEAN, image_std: IMAGENET_STD });
    return new DetrObjectDetector(src, model, pre, cfg.id2label ?? {}, opts.threshold ?? DETECTION_SCORE_THRESHOLD);
  }

  /** Side of the (square) model input: the 224 frame resized per the model's processor (800 for DETR; bicubic here, DETR's own processor is bilinear). */
  inputSide(): number {
    const s = this.pre.size;
    if (typeof s === 'number') return s;
    return Math.min(s?.shortest_edge ?? DETECTOR_INPUT_SIZE, s?.longest_edge ?? Infinity);
  }

  /** The normalised pixel batch [N, 3, S, S] the detector sees. */
  pixels(images: RgbImage[]): Float32Array {
    const side = this.inputSide();
    return batchCHW(images.map((im) => resizeRGB(resizeRGB(im, DETECTOR_INPUT_SIZE, DETECTOR_INPUT_SIZE), side, side)),
      this.pre.image_mean ?? IMAGENET_MEAN, this.pre.image_std ?? IMAGENET_STD);
  }

  /** Raw model outputs for a pixel batch, one image at a time (as transformers.js' pipeline does). */
  async forward(pixels: Float32Array, n: number): Promise<{ logits: Float32Array; boxes: Float32Array; Q: number; L1: number }> {
    const side = Math.round(Math.sqrt(pixels.length / n / 3));
    const per = 3 * side * side;
    const logits: Float32Array[] = [], boxes: Float32Array[] = [];
    let Q = 0, L1 = 0;
    for (let i = 0; i < n; i++) {
      const r = await this.model({
        pixel_values: hfTensor('float32', pixels.slice(i * per, (i + 1) * per), [1, 3, side, side]),
        pixel_mask: hfTensor('int64', new BigInt64Array(side * side).fill(1n), [1, side, side]),
      });
      [, Q, L1] = r.logits.dims as number[];
      logits.push(r.logits.data as Float32Array);
      boxes.push(r.pred_boxes.data as Float32Array);
    }
    const cat = (xs: Float32Array[]) => { const o = new Float32Array(xs.reduce((a, x) => a + x.length, 0)); let p = 0; for (const x of xs) { o.set(x, p); p += x.length; } return o; };
    return { logits: cat(logits), boxes: cat(boxes), Q, L1 };
  }

  async detect(images: RgbImage[], k: number): Promise<Detections[]> {
    const r = await this.forward(this.pixels(images), images.length);
    return detrPostprocess(r.logits, r.boxes, images.length, r.Q, r.L1, k, { threshold: this.threshold, id2label: this.id2label });
  }
}
