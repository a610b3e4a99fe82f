/**
 * Image rules of the reference preprocessing: an image that is missing, fails to decode, or is
 * smaller than 50x50 is replaced by the default image (null here); WikiDiverse image files are
 * named by the md5 of the URL's file name plus its extension, `.svg` read as `.png`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import type { ImageSpec } from './types';

/** Smallest accepted width and height (reference `min_image_size`). */
export const MIN_IMAGE_SIZE = 50;
/** Suffixes tried by the reference's `load_image`, in order. */
export const IMAGE_SUFFIXES = ['', '.jpg', '.JPG', '.jpeg', '.JPEG', '.png', '.PNG', '.tif', '.TIF', '.tiff', '.TIFF'];

/** Outcome of checking one image. */
export type ImageStatus = 'ok' | 'missing' | 'corrupt' | 'small';

/** Check that `file` exists, decodes fully and is at least 50x50. */
export async function checkImageFile(file: string): Promise<ImageStatus> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return 'missing';
  }
  if (!st.isFile()) return 'missing';
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) return 'corrupt';
    if (meta.width < MIN_IMAGE_SIZE || meta.height < MIN_IMAGE_SIZE) return 'small';
    await sharp(file).resize(8, 8, { fit: 'fill' }).raw().toBuffer(); // force a full decode, like PIL's resize
    return 'ok';
  } catch {
    return 'corrupt';
  }
}

/**
 * Resolve an image spec to a usable file or null (default image) with the reason.
 * `base`: first existing suffix decides (an invalid file there is not skipped for the next suffix).
 * `files`: the first valid file wins; the reason reported is the first file's.
 */
export async function resolveImage(spec: ImageSpec): Promise<{ path: string | null; status: ImageStatus }> {
  if (spec === null) return { path: null, status: 'missing' };
  if ('base' in spec) {
    for (const s of IMAGE_SUFFIXES) {
      const f = spec.base + s;
      if (!fs.existsSync(f) || !fs.statSync(f).isFile()) continue;
      const status = await checkImageFile(f);
      return { path: status === 'ok' ? path.resolve(f) : null, status };
    }
    return { path: null, status: 'missing' };
  }
  let first: ImageStatus | null = null;
  for (const f of spec.files) {
    const status = await checkImageFile(f);
    if (status === 'ok') return { path: path.resolve(f), status };
    first ??= status;
  }
  return { path: null, status: first ?? 'missing' };
}

/**
 * WikiDiverse image file name of an image URL (reference `get_image_path`): md5 hex of the URL's
 * last path segment + its extension (the text after the last `.jpg|.png|.svg|.jpeg` stem match;
 * a name without such an extension keeps the whole name as "suffix", as the reference's regex does),
 * with every `.svg`/`.SVG` replaced by `.png`.
 */
export function wikidiverseImageFile(url: string, imageDir: string): string {
  const name = url.split('/').pop() ?? '';
  const prefix = crypto.createHash('md5').update(Buffer.from(name, 'utf8')).digest('hex');
  const suffix = name.replace(/(\S+(?=\.(jpg|JPG|png|PNG|svg|SVG)))|(\S+(?=\.(jpeg|JPEG)))/g, '');
  return path.join(imageDir, prefix + suffix).replaceAll('.svg', '.png').replaceAll('.SVG', '.png');
}

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function prepareMapLimit<T, R>(items: T[], limit: number, fn: (x: T, i: number) => Promise<R>, onDone?: (n: number) => void): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
      done++;
      onDone?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}
