/**
 * Types of the Pillow-compatible image loader (what Pillow 9.4's `Image.open(f).convert('RGB')`
 * gives the reference's `load_image`, common/utils.py).
 */

/**
 * Why the reference falls back to its default image, named as prepare's counts name them
 * (`mentionImage<Reason>`, `image<Reason>`):
 * - `missing`: no file under any tried suffix;
 * - `corrupt`: Pillow cannot identify or decode the file (any exception in open or convert);
 * - `small`: width or height under 50;
 * - `tooLarge`: over 2 × `Image.MAX_IMAGE_PIXELS` = 178,956,970 pixels (Pillow's DecompressionBombError at open);
 * - `unsupported`: a format Pillow 9.4 reads (PSD, DDS, ICNS, XBM, …) that this port does not decode.
 *   The reference would load it: a deviation, counted on its own so that it is never silent.
 */
export type ImageDefaultReason = 'missing' | 'corrupt' | 'small' | 'tooLarge' | 'unsupported';

/** Pillow's format names (`Image.format`) of the formats this port decodes. */
export type PillowFormat = 'BMP' | 'CUR' | 'GIF' | 'ICO' | 'JPEG' | 'JPEG2000' | 'PCX' | 'PNG' | 'PPM' | 'SGI' | 'TGA' | 'TIFF' | 'WEBP';

/** What `Image.open` learns from the header, before any pixel is decoded. */
export interface PillowHeader {
  format: PillowFormat;
  /** Pillow's mode name (`1`, `L`, `LA`, `P`, `I`, `I;16`, `RGB`, `RGBA`, `CMYK`, …). */
  mode: string;
  width: number;
  height: number;
}

/** A decoded image: H×W×3 uint8 RGB, row-major, as `convert('RGB')` returns it. */
export interface PillowRgb extends PillowHeader {
  data: Uint8Array;
}

/** An error of `Image.open` or `convert`, with the default-image reason it gives. */
export class PillowImageError extends Error {
  constructor(readonly reason: Exclude<ImageDefaultReason, 'missing' | 'small'>, message: string, readonly header: PillowHeader | null = null) {
    super(message);
    this.name = 'PillowImageError';
  }
}

/** Pillow 9.4 `Image.MAX_IMAGE_PIXELS` (1024·1024·1024 // 4 // 3); above it only a warning. */
export const PILLOW_MAX_IMAGE_PIXELS = 89_478_485;
/** Above this many pixels `Image.open` raises DecompressionBombError (2 × MAX_IMAGE_PIXELS). */
export const PILLOW_BOMB_ERROR_PIXELS = 2 * PILLOW_MAX_IMAGE_PIXELS;
