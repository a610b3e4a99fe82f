/**
 * What an encoder is, for the driver (encode.ts): four roles, each filled either by a real model
 * (ONNX through transformers.js / onnxruntime-node: bert.ts, resnet.ts, detector.ts, clip.ts) or by
 * a deterministic built-in stand-in of the same shapes (standins.ts).
 *
 * Dimension key: N items, L tokens kept (128 mention / 64 entity), D text hidden (768),
 * G image regions (49 = 7×7), C image channels (2048), K objects kept (3 mention / 1 entity),
 * P CLIP projection (512).
 */
import type { RgbImage } from './images';

/** BERT's role: token features with a mask, or one pooled vector per text. */
export interface TextFeatureEncoder {
  /** e.g. 'bert-base-cased' or 'standin-hashed-tokens'. */
  readonly name: string;
  /** True for a built-in stand-in (its outputs are not BERT features). */
  readonly standin: boolean;
  /** D. */
  readonly dim: number;
  /** Last hidden state of the first `maxLen` tokens [N, L, D] and the attention mask [N, L]. */
  hidden(texts: string[], maxLen: number): Promise<{ hidden: Float32Array; mask: Int32Array }>;
  /** Pooler output [N, D] (WikiDiverse entity text). */
  pooled(texts: string[]): Promise<Float32Array>;
}

/** ResNet's role: region features and the pooled feature of loaded images. */
export interface ImageFeatureEncoder {
  readonly name: string;
  readonly standin: boolean;
  /** C. */
  readonly dim: number;
  /** G (49 for ResNet at 224×224). */
  readonly regions: number;
  /** Region features [N, G, C] (last hidden state, flattened h·w) and pooled [N, C]. */
  encode(images: RgbImage[]): Promise<{ hidden: Float32Array; pooled: Float32Array }>;
}

/** One image's kept detections, best first, padded to K with score 0 and the default box. */
export interface Detections {
  /** K boxes [x0, y0, x1, y1] in the 224×224 detector frame. */
  boxes: number[][];
  /** K scores. */
  scores: number[];
  /** Labels of the kept boxes ('' for padding). */
  labels: string[];
  /** How many real detections were kept (≤ K). */
  found: number;
}

/** The object detector's role (the reference uses torchvision's Faster R-CNN). */
export interface ObjectDetector {
  readonly name: string;
  readonly standin: boolean;
  /** Top-`k` detections per image. */
  detect(images: RgbImage[], k: number): Promise<Detections[]>;
}

/** CLIP's role: normalised text and image embeddings in one space; logits = scale · cosine. */
export interface CrossModalEncoder {
  readonly name: string;
  readonly standin: boolean;
  /** P. */
  readonly dim: number;
  /** exp(logit_scale): 100 for openai/clip-vit-base-patch32. */
  readonly logitScale: number;
  /** Unit-norm text embeddings [N, P] (texts cut at 77 tokens as the reference does). */
  textEmbeds(texts: string[]): Promise<Float32Array>;
  /** Unit-norm image embeddings [N, P]. */
  imageEmbeds(images: RgbImage[]): Promise<Float32Array>;
}

/** The four encoders a run uses. */
export interface EncoderSet {
  text: TextFeatureEncoder;
  image: ImageFeatureEncoder;
  detector: ObjectDetector;
  clip: CrossModalEncoder;
}
