/**
 * Image thumbnails for notebook HTML: read an image with sharp, resize it and return a base64
 * `data:` URI, so that an `<img>` shows it without any file access from the browser.
 */
import * as fs from 'node:fs';
import sharp from 'sharp';

/** The picture shown for "no image" (the dataset's default image) or an unreadable file. */
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
  /** 'image' = the file, 'default' = no image (null path), 'unreadable' = file missing or not an image. */
  kind: 'image' | 'default' | 'unreadable';
  /** Why the file could not be used, when kind is 'unreadable'. */
  reason?: string;
}

/**
 * Thumbnail of an image file as a `data:image/png;base64,...` URI (square, `size` px, cover crop).
 * `null` gives the default-image placeholder; a missing or broken file gives a labelled placeholder
 * and the reason (never throws for a bad image, so one broken file does not hide a whole drill-down).
 */
export async function imageThumbnailDataUri(file: string | null, size = 128): Promise<ThumbnailResult> {
  let kind: ThumbnailResult['kind'] = 'image';
  let reason: string | undefined;
  let png: Buffer | undefined;
  if (file === null) kind = 'default';
  else if (!fs.existsSync(file)) {
    kind = 'unreadable';
    reason = `${file}: file not found`;
  } else {
    try {
      png = await sharp(file).rotate().resize(size, size, { fit: 'cover' }).png().toBuffer();
    } catch (e) {
      kind = 'unreadable';
      reason = `${file}: ${(e as Error).message}`;
    }
  }
  const out = png ?? (await sharp(placeholderSvg(size, kind === 'default' ? 'default image' : 'unreadable')).png().toBuffer());
  return { uri: `data:image/png;base64,${out.toString('base64')}`, kind, ...(reason ? { reason } : {}) };
}
