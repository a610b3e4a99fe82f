/**
 * Image loading and the encoders' image preprocessing, following the reference
 * (preprocess/resnet.py, preprocess/clip.py, common/utils.py `load_image`).
 *
 * Loading: src/data/images (shared with prepare): try the path as given, then with the suffixes .jpg
 * .JPG .jpeg .JPEG .png .PNG .tif .TIF .tiff .TIFF; the first path that exists is opened; if Pillow 9.4
 * could not open or decode it, or it is under 50×50, the DEFAULT image is used (the reference does not
 * try the remaining suffixes after a failure); then Pillow's convert('RGB').
 *
 * Preprocessing, bit-exact with PIL ({@link resizeRGB} is Pillow's 8-bit bicubic
 * resampler ported, because sharp's own `cubic` is off by up to ~150 levels at edges when upscaling):
 * - ResNet: `image.resize((224, 224))`, then the model's ConvNext-style processor: shortest edge
 *   → 224 / crop_pct (256), center crop 224, /255, ImageNet mean/std, CHW.
 * - CLIP: shortest edge → 224 (aspect kept), center crop 224, /255, CLIP mean/std, CHW.
 * - detector: `image.resize((224, 224))` (the reference's detector input), the detector's own
 *   normalisation (and its resize, if its preprocessor asks for one).
 * - crops: PIL `Image.crop` semantics (box rounded, outside the image filled with black).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeImage } from '../data/images/open';
import { IMAGE_SUFFIXES, MIN_IMAGE_SIZE, loadImageBase } from '../data/images/load';

/** A decoded RGB image: HWC uint8, plus where it came from. */
export interface RgbImage {
  width: number;
  height: number;
  /** width*height*3 bytes, row-major RGB. */
  data: Uint8Array;
  /** The file actually read, or null for the default image. */
  source: string | null;
  /** Why the default image was used (prepare's reasons 'missing' | 'corrupt' | 'small' | 'tooLarge' | 'unsupported', or 'none given'), if it was. */
  defaulted?: string;
}

/** Suffixes tried after the path as given, in the reference's order (the loader's list). */
export const LOAD_IMAGE_SUFFIXES = IMAGE_SUFFIXES;
/** Images smaller than this (either side) are replaced by the default image (the loader's minimum). */
export const MIN_IMAGE_SIDE = MIN_IMAGE_SIZE;
/** The reference's box for "no object detected", in the 224×224 detector frame: [x0, y0, x1, y1]. */
export const DEFAULT_OBJECT_BOX: [number, number, number, number] = [0, 0, 50, 50];

/** ImageNet normalisation (microsoft/resnet-152, DETR). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];
/** CLIP normalisation (openai/clip-vit-base-patch32). */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/**
 * The built-in default image: 224×224 mid-grey (the reference ships its own default image file;
 * pass `defaultImage` to {@link loadImageRGB} to use one).
 */
export function builtinDefaultImage(): RgbImage {
  return { width: 224, height: 224, data: new Uint8Array(224 * 224 * 3).fill(128), source: null, defaulted: 'none given' };
}

/**
 * Decode one file as `Image.open(file).convert('RGB')` under Pillow 9.4 (src/data/images: every mode
 * and format rule; no 50×50 minimum). Throws (a PillowImageError with the default-image reason, or the
 * file system's error), the message naming the file, when Pillow would raise.
 */
export async function decodeRGB(file: string): Promise<RgbImage> {
  try {
    const img = await decodeImage(new Uint8Array(fs.readFileSync(file)), file);
    return { width: img.width, height: img.height, data: img.data, source: file };
  } catch (e) {
    throw Object.assign(e as Error, { message: `${file}: Pillow 9.4 would not load it: ${(e as Error).message}` });
  }
}

/**
 * Load an image the reference's way (src/data/images/load.ts, the loader prepare uses too). `base`
 * null means "no image" and gives the default image. Never throws for a bad image: the reason is in
 * `defaulted` (prepare's names: missing, corrupt, small, tooLarge, unsupported; 'none given' for null).
 */
export async function loadImageRGB(base: string | null, opts: { defaultImage?: RgbImage } = {}): Promise<RgbImage> {
  const fallback = (why: string): RgbImage => ({ ...(opts.defaultImage ?? builtinDefaultImage()), defaulted: why });
  if (base === null || base === '') return fallback('none given');
  const r = await loadImageBase(base);
  if (r.status !== 'ok') return fallback(r.status);
  return { width: r.image.width, height: r.image.height, data: r.image.data, source: r.file };
}

// ---- PIL's bicubic resampling (Pillow's Resample.c), exact on uint8 -----------------------------
const PRECISION_BITS = 32 - 8 - 2;

function bicubicFilter(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Pillow `precompute_coeffs` + `normalize_coeffs_8bpc`: per output pixel, first source index, count, fixed-point weights. */
function resampleCoeffs(inSize: number, outSize: number): { ksize: number; bounds: Int32Array; kk: Float64Array } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Float64Array(outSize * ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicFilter((x + xmin - center + 0.5) * ss);
      kk[xx * ksize + x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) if (ww !== 0) kk[xx * ksize + x] /= ww;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  for (let i = 0; i < kk.length; i++) {
    kk[i] = kk[i] < 0 ? Math.trunc(-0.5 + kk[i] * (1 << PRECISION_BITS)) : Math.trunc(0.5 + kk[i] * (1 << PRECISION_BITS));
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  if (v >= 2 ** (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / 2 ** PRECISION_BITS);
}

/**
 * Resize to exactly width×height with PIL's bicubic filter, bit-exact with Pillow's 8-bit path
 * (`Image.resize(size)` on an RGB image: horizontal pass into uint8, then vertical pass).
 */
export function resizeRGB(img: RgbImage, width: number, height: number): RgbImage {
  if (img.width === width && img.height === height) return img;
  let src = img.data, sw = img.width, sh = img.height;
  const half = 2 ** (PRECISION_BITS - 1);
  const v = resampleCoeffs(sh, height);
  if (width !== sw) {
    const h = resampleCoeffs(sw, width);
    const yFirst = v.bounds[0];
    const yLast = v.bounds[height * 2 - 2] + v.bounds[height * 2 - 1];
    const rows = height !== sh ? yLast - yFirst : sh;
    const y0 = height !== sh ? yFirst : 0;
    const tmp = new Uint8Array(width * rows * 3);
    for (let yy = 0; yy < rows; yy++) {
      const rowOff = (yy + y0) * sw * 3;
      for (let xx = 0; xx < width; xx++) {
        const xmin = h.bounds[xx * 2], xmax = h.bounds[xx * 2 + 1], k = xx * h.ksize;
        let s0 = half, s1 = half, s2 = half;
        for (let x = 0; x < xmax; x++) {
          const p = rowOff + (x + xmin) * 3, w = h.kk[k + x];
          s0 += src[p] * w; s1 += src[p + 1] * w; s2 += src[p + 2] * w;
        }
        const o = (yy * width + xx) * 3;
        tmp[o] = clip8(s0); tmp[o + 1] = clip8(s1); tmp[o + 2] = clip8(s2);
      }
    }
    if (height !== sh) for (let i = 0; i < height; i++) v.bounds[i * 2] -= yFirst;
    src = tmp; sw = width; sh = rows;
  }
  if (height === img.height) return { width, height, data: src, source: img.source, defaulted: img.defaulted };
  const out = new Uint8Array(width * height * 3);
  for (let yy = 0; yy < height; yy++) {
    const ymin = v.bounds[yy * 2], ymax = v.bounds[yy * 2 + 1], k = yy * v.ksize;
    for (let xx = 0; xx < width; xx++) {
      let s0 = half, s1 = half, s2 = half;
      for (let y = 0; y < ymax; y++) {
        const p = ((y + ymin) * sw + xx) * 3, w = v.kk[k + y];
        s0 += src[p] * w; s1 += src[p + 1] * w; s2 += src[p + 2] * w;
      }
      const o = (yy * width + xx) * 3;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  }
  return { width, height, data: out, source: img.source, defaulted: img.defaulted };
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * PIL `Image.crop(box)`: box [x0, y0, x1, y1] rounded half-to-even, pixels outside the image black.
 * A degenerate box (x1 <= x0 or y1 <= y0) gives a 1×1 crop instead of PIL's empty image (which
 * the reference would fail to resize); such crops are rare and the caller counts them.
 */
export function cropRGB(img: RgbImage, box: ArrayLike<number>): RgbImage {
  const x0 = roundHalfEven(box[0]), y0 = roundHalfEven(box[1]);
  const w = Math.max(1, roundHalfEven(box[2]) - x0), h = Math.max(1, roundHalfEven(box[3]) - y0);
  const out = new Uint8Array(w * h * 3);
  const xs = Math.max(0, x0), xe = Math.min(img.width, x0 + w);
  for (let y = Math.max(0, y0); y < Math.min(img.height, y0 + h); y++) {
    if (xe <= xs) break;
    out.set(img.data.subarray((y * img.width + xs) * 3, (y * img.width + xe) * 3), ((y - y0) * w + (xs - x0)) * 3);
  }
  return { width: w, height: h, data: out, source: img.source, defaulted: img.defaulted };
}

/** Center crop (HF `center_crop`: top = (H - h) // 2), padding with black if the image is smaller. */
export function centerCropRGB(img: RgbImage, width: number, height: number): RgbImage {
  const top = Math.floor((img.height - height) / 2), left = Math.floor((img.width - width) / 2);
  return cropRGB(img, [left, top, left + width, top + height]);
}

/** HF `get_resize_output_image_size` for {shortest_edge}: short side → size, long side truncated. */
export function shortestEdgeSize(width: number, height: number, size: number): [number, number] {
  return width <= height ? [size, Math.trunc((size * height) / width)] : [Math.trunc((size * width) / height), size];
}

/** uint8 HWC → float32 CHW: x/255 then (x - mean) / std, in float32 like numpy's float32 path. */
export function normalizeToCHW(img: RgbImage, mean: number[], std: number[], out?: Float32Array, offset = 0): Float32Array {
  const n = img.width * img.height;
  const dst = out ?? new Float32Array(3 * n);
  const scale = Math.fround(1 / 255);
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]), s = Math.fround(std[c]);
    const base = offset + c * n;
    for (let i = 0; i < n; i++) dst[base + i] = Math.fround(Math.fround(Math.fround(img.data[i * 3 + c] * scale) - m) / s);
  }
  return dst;
}

/** A model's preprocessor_config.json (the fields used here). */
export interface PreprocessorConfig {
  size?: number | { shortest_edge?: number; longest_edge?: number; height?: number; width?: number };
  crop_size?: number | { height: number; width: number };
  crop_pct?: number;
  do_resize?: boolean;
  do_center_crop?: boolean;
  image_mean?: number[];
  image_std?: number[];
}

/** Read `<dir>/preprocessor_config.json` or return `fallback`. */
export function readPreprocessorConfig(dir: string | null, fallback: PreprocessorConfig): PreprocessorConfig {
  if (!dir) return fallback;
  const f = path.join(dir, 'preprocessor_config.json');
  return fs.existsSync(f) ? { ...fallback, ...JSON.parse(fs.readFileSync(f, 'utf8')) } : fallback;
}

function sizeNumber(size: PreprocessorConfig['size'], dflt: number): number {
  if (typeof size === 'number') return size;
  return size?.shortest_edge ?? size?.height ?? dflt;
}

/** The ResNet config of microsoft/resnet-152 (used when a model folder has none). */
export const RESNET_PREPROCESSOR: PreprocessorConfig = { size: { shortest_edge: 224 }, crop_pct: 0.875, image_mean: IMAGENET_MEAN, image_std: IMAGENET_STD };
/** The CLIP config of openai/clip-vit-base-patch32. */
export const CLIP_PREPROCESSOR: PreprocessorConfig = { size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, image_mean: CLIP_MEAN, image_std: CLIP_STD };

/**
 * The uint8 224×224 image the ResNet sees: the reference's `resize((224, 224))`, then the
 * ConvNext-style processor (shortest edge 224/crop_pct, center crop 224; no crop from 384 up).
 */
export function resnetCrop(img: RgbImage, cfg: PreprocessorConfig = RESNET_PREPROCESSOR): RgbImage {
  const s = sizeNumber(cfg.size, 224);
  let x = resizeRGB(img, 224, 224);
  if (s < 384) {
    const inner = Math.trunc(s / (cfg.crop_pct ?? 0.875));
    const [w, h] = shortestEdgeSize(x.width, x.height, inner);
    x = centerCropRGB(resizeRGB(x, w, h), s, s);
  } else {
    x = resizeRGB(x, s, s);
  }
  return x;
}

/** The uint8 crop CLIP sees: shortest edge → 224, center crop 224. */
export function clipCrop(img: RgbImage, cfg: PreprocessorConfig = CLIP_PREPROCESSOR): RgbImage {
  const s = sizeNumber(cfg.size, 224);
  const [w, h] = shortestEdgeSize(img.width, img.height, s);
  const crop = typeof cfg.crop_size === 'number' ? { width: cfg.crop_size, height: cfg.crop_size } : cfg.crop_size ?? { width: 224, height: 224 };
  return centerCropRGB(resizeRGB(img, w, h), crop.width, crop.height);
}

/** Normalised CHW batch [n, 3, H, W] from same-sized uint8 images. */
export function batchCHW(imgs: RgbImage[], mean: number[], std: number[]): Float32Array {
  if (imgs.length === 0) return new Float32Array(0);
  const per = 3 * imgs[0].width * imgs[0].height;
  const out = new Float32Array(per * imgs.length);
  imgs.forEach((im, i) => {
    if (3 * im.width * im.height !== per) throw new Error(`batchCHW: image ${i} is ${im.width}x${im.height}, expected ${imgs[0].width}x${imgs[0].height}`);
    normalizeToCHW(im, mean, std, out, i * per);
  });
  return out;
}
