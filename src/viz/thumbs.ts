/**
 * Image thumbnails for notebook HTML: decode an image with the project's one image loader
 * (src/data/images, Pillow 9.4's `Image.open(f).convert('RGB')`: no EXIF rotation, every format the
 * encoders read), resize the pixels with sharp and return a base64 `data:` URI, so that an `<img>`
 * shows exactly the pixels the model saw, without any file access from the browser.
 */
import * as fs from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { loadImageFile } from '../data/images/load';
import type { ImageDefaultReason } from '../data/images/types';

/** The picture shown for "no image" (the dataset's default image) or a file the loader rejects. */
function placeholderSvg(size: number, label: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="#e8e8e8"/>` +
      `<line x1="0" y1="0" x2="${size}" y2="${size}" stroke="#c8c8c8" stroke-width="2"/><line x1="${size}" y1="0" x2="0" y2="${size}" stroke="#c8c8c8" stroke-width="2"/>` +
      `<text x="50%" y="52%" text-anchor="middle" font-family="sans-serif" font-size="${Math.round(size / 9)}" fill="#666">${label}</text></svg>`,
  );
}

/** Result of {@link imageThumbnailDataUri}: the URI and whether the real image was used. */
export interface ThumbnailResult {
  uri: string;
  /**
   * 'image' = the file's pixels, 'default' = no image (null path), 'unreadable' = the file is missing
   * or the loader gives the dataset's default image for it (see `status`).
   */
  kind: 'image' | 'default' | 'unreadable';
  /** When kind is 'unreadable': the loader's default-image reason (src/data/images/types.ts). */
  status?: ImageDefaultReason;
  /** When kind is 'unreadable': `<file>: <why> [<status>]`. */
  reason?: string;
}

/**
 * Thumbnail of an image file as a `data:image/png;base64,...` URI (square, `size` px, cover crop of
 * the loader's RGB pixels). `null` gives the default-image placeholder; a missing file, or one the
 * loader rejects (corrupt, smaller than 50 px, too large, a Pillow format the port does not decode),
 * gives a placeholder labelled with the reason and returns that reason, so that the caller counts it
 * (never throws for a bad image, so one broken file does not hide a whole drill-down).
 */
export async function imageThumbnailDataUri(file: string | null, size = 128): Promise<ThumbnailResult> {
  if (file === null) return { uri: await pngUri(sharp(placeholderSvg(size, 'default image'))), kind: 'default' };
  let status: ImageDefaultReason;
  let why: string;
  if (!fs.existsSync(file)) [status, why] = ['missing', 'file not found'];
  else {
    const loaded = await loadImageFile(file);
    if (loaded.status === 'ok') {
      const { data, width, height } = loaded.image;
      const raw = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 3 } });
      return { uri: await pngUri(raw.resize(size, size, { fit: 'cover' })), kind: 'image' };
    }
    [status, why] = [loaded.status, loaded.error];
  }
  return { uri: await pngUri(sharp(placeholderSvg(size, status))), kind: 'unreadable', status, reason: `${file}: ${why} [${status}]` };
}

async function pngUri(img: Sharp): Promise<string> {
  const png = await img.png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
