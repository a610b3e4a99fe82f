/**
 * CLIP similarities (the reference: preprocess/clip.py with `openai/clip-vit-base-patch32`).
 *
 * miet[m, k] = logits_per_image: the mention image against candidate k's text;
 * eimt[m, k] = logits_per_text: the mention text against candidate k's image;
 * both = exp(logit_scale) · cosine = 100 · cosine for the released checkpoint.
 *
 * Texts: the reference tokenizes without truncation and then pads/cuts the token list to 77
 * (`pad_tokens`), so a longer text loses its end-of-text token and CLIP pools at the highest token
 * id among the first 77 — reproduced here (the real models' ONNX graphs pool at argmax(input_ids)).
 * Every text is encoded on its own, so padding never changes a result.
 *
 * Dimension key: N texts or images, B batch, T tokens (≤ 77), P projection (512).
 */
import { hfLib, hfSource, hfTensor, int64, type HfLoadOptions } from './hf';
import { batchCHW, clipCrop, readPreprocessorConfig, CLIP_PREPROCESSOR, CLIP_MEAN, CLIP_STD, type RgbImage, type PreprocessorConfig } from './images';
import type { CrossModalEncoder } from './types';

/** CLIP's context length: token lists are cut here. */
export const MAX_CLIP_TOKENS = 77;
/** exp(logit_scale) of openai/clip-vit-base-patch32. */
export const CLIP_LOGIT_SCALE = 100;

/** Options of {@link ClipEncoder.load}. */
export interface ClipOptions extends HfLoadOptions {
  batchSize?: number;
  /** exp(logit_scale), default 100. */
  logitScale?: number;
}

/** Normalise rows of a [N, P] matrix to unit length, in place. */
export function normalizeRows(x: Float32Array, P: number): Float32Array {
  for (let i = 0; i < x.length; i += P) {
    let s = 0;
    for (let j = 0; j < P; j++) s += x[i + j] * x[i + j];
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < P; j++) x[i + j] *= inv;
  }
  return x;
}

/** CLIP text and vision towers (with projection) through transformers.js / onnxruntime-node. */
export class ClipEncoder implements CrossModalEncoder {
  readonly standin = false;
  private constructor(
    readonly name: string,
    readonly dim: number,
    readonly logitScale: number,
    private readonly textModel: import('@huggingface/transformers').PreTrainedModel,
    private readonly visionModel: import('@huggingface/transformers').PreTrainedModel,
    private readonly tokenizer: import('@huggingface/transformers').PreTrainedTokenizer,
    private readonly pre: PreprocessorConfig,
    private readonly batchSize: number,
  ) {}

  /** Load from a local model folder (onnx/text_model.onnx + onnx/vision_model.onnx) or a hub name (e.g. 'Xenova/clip-vit-base-patch32'). */
  static async load(src: string, opts: ClipOptions = {}): Promise<ClipEncoder> {
    const { AutoTokenizer, CLIPTextModelWithProjection, CLIPVisionModelWithProjection } = hfLib();
    const { name, options, dir } = hfSource(src, opts);
    const tokenizer = await AutoTokenizer.from_pretrained(name, options);
    const textModel = await CLIPTextModelWithProjection.from_pretrained(name, options);
    const visionModel = await CLIPVisionModelWithProjection.from_pretrained(name, options);
    const dim = Number((textModel.config as unknown as { projection_dim?: number }).projection_dim ?? 512);
    return new ClipEncoder(src, dim, opts.logitScale ?? CLIP_LOGIT_SCALE, textModel, visionModel, tokenizer,
      readPreprocessorConfig(dir, CLIP_PREPROCESSOR), opts.batchSize ?? 16);
  }

  /** Token ids as the reference feeds them: full tokenization, then cut to 77 (no end token re-added). */
  tokenIds(text: string): number[] {
    return this.tokenizer.encode(text).slice(0, MAX_CLIP_TOKENS);
  }

  async textEmbeds(texts: string[]): Promise<Float32Array> {
    const P = this.dim;
    const out = new Float32Array(texts.length * P); // [N, P]
    const pad = this.tokenizer.pad_token_id ?? this.tokenizer.eos_token_id ?? 0;
    for (let s = 0; s < texts.length; s += this.batchSize) {
      const ids = texts.slice(s, s + this.batchSize).map((t) => this.tokenIds(t));
      const B = ids.length, T = Math.max(...ids.map((r) => r.length));
      const flat = new Array<number>(B * T).fill(pad), mask = new Array<number>(B * T).fill(0);
      ids.forEach((row, b) => row.forEach((id, t) => { flat[b * T + t] = id; mask[b * T + t] = 1; }));
      const r = await this.textModel({ input_ids: hfTensor('int64', int64(flat), [B, T]), attention_mask: hfTensor('int64', int64(mask), [B, T]) });
      out.set(r.text_embeds.data as Float32Array, s * P); // [B, P]
    }
    return normalizeRows(out, P);
  }

  /** The normalised pixel batch [N, 3, 224, 224] CLIP sees. */
  pixels(images: RgbImage[]): Float32Array {
    return batchCHW(images.map((im) => clipCrop(im, this.pre)), this.pre.image_mean ?? CLIP_MEAN, this.pre.image_std ?? CLIP_STD);
  }

  /** Unit-norm image embeddings [N, P] of a prepared pixel batch. */
  async imageEmbedsFromPixels(pixels: Float32Array, n: number): Promise<Float32Array> {
    const P = this.dim, per = pixels.length / n;
    const out = new Float32Array(n * P);
    for (let s = 0; s < n; s += this.batchSize) {
      const B = Math.min(this.batchSize, n - s);
      const r = await this.visionModel({ pixel_values: hfTensor('float32', pixels.slice(s * per, (s + B) * per), [B, 3, 224, 224]) });
      out.set(r.image_embeds.data as Float32Array, s * P);
    }
    return normalizeRows(out, P);
  }

  async imageEmbeds(images: RgbImage[]): Promise<Float32Array> {
    return this.imageEmbedsFromPixels(this.pixels(images), images.length);
  }
}

/**
 * CLIP logits between each row's image (or text) embedding and its K candidates' embeddings:
 * out[m, k] = scale · a[m] · b[index[m, k]]. `a` [M, P], `b` [E, P], index [M·K] → [M, K].
 */
export function candidateLogits(a: Float32Array, b: Float32Array, index: Int32Array, K: number, P: number, scale: number): Float32Array {
  const M = a.length / P;
  const out = new Float32Array(M * K);
  for (let m = 0; m < M; m++) {
    for (let k = 0; k < K; k++) {
      const e = index[m * K + k];
      let s = 0;
      for (let j = 0; j < P; j++) s += a[m * P + j] * b[e * P + j];
      out[m * K + k] = scale * s;
    }
  }
  return out;
}
