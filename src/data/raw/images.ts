/**
 * Image rules of the reference preprocessing: an image that is missing, that Pillow 9.4 cannot open or
 * decode, that is over Pillow's decompression-bomb limit, or that is smaller than 50x50 is replaced by
 * the default image (null here), decided by the loader the encoders use (src/data/images); WikiDiverse
 * image files are named by the md5 of the URL's file name plus its extension, `.svg` read as `.png`.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findImageFile, loadImageFile } from '../images/load';
import type { ImageDefaultReason } from '../images/types';
import type { ImageSpec } from './types';

export { MIN_IMAGE_SIZE, IMAGE_SUFFIXES } from '../images/load';

/** Outcome of checking one image: 'ok' or the default-image reason (src/data/images/types.ts). */
export type ImageStatus = 'ok' | ImageDefaultReason;

/**
 * Check one path as the reference's `load_image` would treat it (Pillow 9.4 open, 50×50 minimum,
 * convert('RGB'), through the loader the encoders use): 'ok' or why the default image is used.
 */
export async function checkImageFile(file: string): Promise<ImageStatus> {
  if (!fs.existsSync(file)) return 'missing';
  return (await loadImageFile(file)).status;
}

/**
 * Resolve an image spec to a usable file or null (default image) with the reason.
 * `base`: the first suffix that exists decides (an invalid file there is not skipped for the next suffix).
 * `files`: the first valid file wins; the reason reported is the first file's.
 */
export async function resolveImage(spec: ImageSpec): Promise<{ path: string | null; status: ImageStatus }> {
  if (spec === null) return { path: null, status: 'missing' };
  if ('base' in spec) {
    const f = findImageFile(spec.base);
    if (f === null) return { path: null, status: 'missing' };
    const status = await checkImageFile(f);
    return { path: status === 'ok' ? path.resolve(f) : null, status };
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
