/**
 * Choosing the encoders of a run: the built-in stand-ins, or pretrained models (hub names or
 * local folders of ONNX exports — see environment.md "Encoders" for how to make them).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BertTextEncoder } from './bert';
import { ResnetImageEncoder } from './resnet';
import { DetrObjectDetector } from './detector';
import { ClipEncoder } from './clip';
import { standinEncoders } from './standins';
import type { EncoderSet } from './types';

/**
 * The pretrained models, as transformers.js ONNX repositories on the hub. The reference used
 * bert-base-cased, microsoft/resnet-152, torchvision Faster R-CNN (→ DETR here) and
 * openai/clip-vit-base-patch32. `microsoft/resnet-152` has no ONNX export on the hub: export it
 * with optimum (`optimum-cli export onnx --model microsoft/resnet-152 resnet-152/`) into a local
 * folder and pass that folder.
 */
export const PRETRAINED_MODELS = {
  text: 'Xenova/bert-base-cased',
  image: 'microsoft/resnet-152',
  detector: 'Xenova/detr-resnet-50',
  clip: 'Xenova/clip-vit-base-patch32',
} as const;

/** Which encoder to use per role: 'standin', a hub name or a local model folder. */
export type EncoderChoice = Partial<Record<keyof EncoderSet, string>>;

/** Options of {@link loadEncoders}. */
export interface LoadEncodersOptions {
  /** Per role; missing roles use `defaults`. */
  choice?: EncoderChoice;
  /** 'standin' (default) or 'pretrained' for the roles not chosen. */
  defaults?: 'standin' | 'pretrained';
  /** A folder holding model folders named like the hub names' last part (bert-base-cased, resnet-152, detr-resnet-50, clip-vit-base-patch32). */
  modelDir?: string;
  /** Tokenizer of the prepared dataset (the text stand-in tokenizes with it). */
  tokenizer?: string | null;
  threads?: number;
  device?: 'cpu' | 'cuda';
  batchSize?: number;
  /** Never download from the hub (hub names fail; the CLI passes DRIN_OFFLINE). */
  offline?: boolean;
  /** Output widths of the text and image stand-ins (default `STANDIN_DIMS`: 128 / 256). */
  standinDims?: { text?: number; image?: number };
}

/** Resolve one role's source: explicit choice, then `<modelDir>/<name>`, then the hub name. */
function source(role: keyof EncoderSet, opts: LoadEncodersOptions): string {
  const c = opts.choice?.[role];
  if (c) return c;
  if (opts.defaults !== 'pretrained') return 'standin';
  const hub = PRETRAINED_MODELS[role];
  if (opts.modelDir) {
    const local = path.join(opts.modelDir, hub.split('/').pop()!);
    if (fs.existsSync(local)) return local;
  }
  return hub;
}

/** Load the four encoders (stand-ins are built in; real models load through transformers.js). */
export async function loadEncoders(opts: LoadEncodersOptions = {}): Promise<EncoderSet> {
  const st = standinEncoders({ tokenizer: opts.tokenizer ?? null, textDim: opts.standinDims?.text, imageDim: opts.standinDims?.image });
  const hf = { threads: opts.threads, device: opts.device, batchSize: opts.batchSize, offline: opts.offline };
  const src = (r: keyof EncoderSet) => source(r, opts);
  const load = async <T>(role: keyof EncoderSet, fn: (s: string) => Promise<T>): Promise<T> => {
    try {
      return await fn(src(role));
    } catch (e) {
      throw new Error(`${role} model '${src(role)}' could not be loaded: ${(e as Error).message}\n` +
        `(offline? give a local model folder with --model-dir / --${role}, or use the stand-ins: --models standin)`);
    }
  };
  return {
    text: src('text') === 'standin' ? st.text : await load('text', (s) => BertTextEncoder.load(s, hf)),
    image: src('image') === 'standin' ? st.image : await load('image', (s) => ResnetImageEncoder.load(s, hf)),
    detector: src('detector') === 'standin' ? st.detector : await load('detector', (s) => DetrObjectDetector.load(s, hf)),
    clip: src('clip') === 'standin' ? st.clip : await load('clip', (s) => ClipEncoder.load(s, hf)),
  };
}
