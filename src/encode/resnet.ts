/**
 * ResNet image features (the reference: preprocess/resnet.py with `microsoft/resnet-152`).
 *
 * Each image is resized to 224×224 (PIL bicubic), passed through the model's own processor
 * (shortest edge 256, center crop 224, ImageNet normalisation), and the model gives
 * last_hidden_state [B, C, 7, 7] → stored as [B, 49, C] (h·w flattened, channels last) for mention
 * images, and pooler_output [B, C, 1, 1] → [B, 1, C] for entity images and object crops.
 *
 * Dimension key: N images, B batch, C channels (2048), G regions (h·w = 49).
 */
import { hfLib, hfSource, hfTensor, type HfLoadOptions } from './hf';
import { batchCHW, readPreprocessorConfig, resnetCrop, RESNET_PREPROCESSOR, IMAGENET_MEAN, IMAGENET_STD, type RgbImage, type PreprocessorConfig } from './images';
import type { ImageFeatureEncoder } from './types';

/** Options of {@link ResnetImageEncoder.load}. */
export interface ResnetOptions extends HfLoadOptions {
  /** Images per forward pass (default 8). */
  batchSize?: number;
}

/** ResNet through transformers.js / onnxruntime-node. */
export class ResnetImageEncoder implements ImageFeatureEncoder {
  readonly standin = false;
  private constructor(
    readonly name: string,
    readonly dim: number,
    readonly regions: number,
    private readonly model: import('@huggingface/transformers').PreTrainedModel,
    private readonly pre: PreprocessorConfig,
    private readonly batchSize: number,
  ) {}

  /** Load from a local model folder (offline) or a hub name; probes C and G with one blank image. */
  static async load(src: string, opts: ResnetOptions = {}): Promise<ResnetImageEncoder> {
    const { AutoModel } = hfLib();
    const { name, options, dir } = hfSource(src, opts);
    const model = await AutoModel.from_pretrained(name, options);
    const probe = await model({ pixel_values: hfTensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) });
    const [, C, h, w] = probe.last_hidden_state.dims as number[];
    return new ResnetImageEncoder(src, C, h * w, model, readPreprocessorConfig(dir, RESNET_PREPROCESSOR), opts.batchSize ?? 8);
  }

  /** The normalised pixel batch [N, 3, 224, 224] the model sees for `images`. */
  pixels(images: RgbImage[]): Float32Array {
    return batchCHW(images.map((im) => resnetCrop(im, this.pre)), this.pre.image_mean ?? IMAGENET_MEAN, this.pre.image_std ?? IMAGENET_STD);
  }

  /** Run the model on a prepared pixel batch [N, 3, 224, 224]: hidden [N, G, C], pooled [N, C]. */
  async encodePixels(pixels: Float32Array, n: number): Promise<{ hidden: Float32Array; pooled: Float32Array }> {
    const C = this.dim, G = this.regions, per = pixels.length / n;
    const hidden = new Float32Array(n * G * C);
    const pooled = new Float32Array(n * C);
    for (let s = 0; s < n; s += this.batchSize) {
      const B = Math.min(this.batchSize, n - s);
      const out = await this.model({ pixel_values: hfTensor('float32', pixels.slice(s * per, (s + B) * per), [B, 3, 224, 224]) });
      const lh = out.last_hidden_state.data as Float32Array; // [B, C, G]
      for (let b = 0; b < B; b++) {
        for (let c = 0; c < C; c++) {
          for (let g = 0; g < G; g++) hidden[((s + b) * G + g) * C + c] = lh[(b * C + c) * G + g]; // → [B, G, C]
        }
      }
      pooled.set(out.pooler_output.data as Float32Array, s * C); // [B, C, 1, 1] → [B, C]
    }
    return { hidden, pooled };
  }

  async encode(images: RgbImage[]): Promise<{ hidden: Float32Array; pooled: Float32Array }> {
    return this.encodePixels(this.pixels(images), images.length);
  }
}
