/**
 * The reference's `load_image` (common/utils.py), the one home of image loading for prepare's image
 * checks and the encoders:
 *
 *     for suffix in ["", ".jpg", ".JPG", ".jpeg", ".JPEG", ".png", ".PNG", ".tif", ".TIF", ".tiff", ".TIFF"]:
 *         if not exists(base + suffix): continue
 *         try: image = Image.open(base + suffix); size < 50×50 → raise; return image.convert("RGB")
 *         except: break          # the remaining suffixes are NOT tried
 *     return the default image
 *
 * Pillow 9.4's open and convert are reproduced by {@link ./open}.
 */
import * as fs from 'node:fs';
import { openImage } from './open';
import { PillowImageError, type ImageDefaultReason, type PillowHeader, type PillowRgb } from './types';

/** Smallest accepted width and height (reference `min_image_size`). */
export const MIN_IMAGE_SIZE = 50;
/** Suffixes tried by the reference's `load_image`, in order. */
export const IMAGE_SUFFIXES = ['', '.jpg', '.JPG', '.jpeg', '.JPEG', '.png', '.PNG', '.tif', '.TIF', '.tiff', '.TIFF'];

/** Outcome of loading one file the reference's way. */
export type FileLoad =
  | { status: 'ok'; file: string; image: PillowRgb }
  | { status: Exclude<ImageDefaultReason, 'missing'>; file: string; header: PillowHeader | null; error: string };

/**
 * Open, size-check and decode one existing path as the reference does (a file that opens but fails to
 * decode is a default image too, so the verdict needs the full decode). Never throws.
 */
export async function loadImageFile(file: string): Promise<FileLoad> {
  let header: PillowHeader | null = null;
  try {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      throw new PillowImageError('corrupt', `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message}`);
    }
    const opened = await openImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
    header = opened.header;
    if (header.width < MIN_IMAGE_SIZE || header.height < MIN_IMAGE_SIZE) return { status: 'small', file, header, error: 'Image is too small' };
    return { status: 'ok', file, image: { ...header, data: await opened.decode() } };
  } catch (e) {
    if (e instanceof PillowImageError) return { status: e.reason, file, header: header ?? e.header, error: e.message };
    return { status: 'corrupt', file, header, error: String((e as Error)?.message ?? e) };
  }
}

/**
 * The reference's suffix trial for `base`: the first path that exists (file or directory, as
 * `os.path.exists`) decides; null when none exists (reason `missing`).
 */
export function findImageFile(base: string): string | null {
  for (const s of IMAGE_SUFFIXES) if (fs.existsSync(base + s)) return base + s;
  return null;
}

/** `load_image(base)`: the loaded image, or the reason the default image is used. */
export async function loadImageBase(base: string): Promise<FileLoad | { status: 'missing'; file: null; header: null; error: string }> {
  const file = findImageFile(base);
  if (file === null) return { status: 'missing', file: null, header: null, error: `${base}: no file with any of the suffixes ${IMAGE_SUFFIXES.join(' ')}` };
  return loadImageFile(file);
}
