/**
 * Pillow 9.4's `Image.open` and `convert('RGB')`, one file at a time.
 *
 * Identification is by content, never by file name, in Pillow's plugin order (BMP, GIF, JPEG, PPM, PNG,
 * then the rest alphabetically; TGA, which has no magic, is tried on whatever is left with Pillow's
 * header checks). The header gives format, mode and size; the decompression-bomb check (over
 * 178,956,970 pixels → error) runs on it BEFORE any pixel is decoded. Decoders, chosen to reproduce
 * Pillow's pixels:
 * - sharp (libvips) for PNG, JPEG, TIFF and WebP, where it agrees with Pillow — except the modes it
 *   would colour-manage or rescale, which are decoded raw and converted with Pillow's formulas:
 *   16-bit grey (`I`, `I;16`: values clipped at 255, no rescale) and CMYK (Pillow's naive
 *   MULDIV255 inversion; JPEG CMYK read with Pillow's Adobe convention). Embedded ICC profiles are
 *   ignored (sharp's `ignoreIcc`), EXIF orientation is not applied (Pillow does neither). Animated
 *   WebP/PNG: the first frame.
 * - gifuct-js for GIF (palette indices of the first frame, transparency ignored as `P` → RGB does;
 *   outside the first frame: the transparent index, else index 0);
 * - own readers for BMP/DIB ({@link ./bmp}), PPM ({@link ./ppm}), PCX ({@link ./pcx}), SGI ({@link ./sgi}),
 *   CUR and the ICO directory (Pillow's entry choice: largest area, then highest colour depth);
 * - @lunapaint/tga-codec for TGA; @cornerstonejs/codec-openjpeg (OpenJPEG in WebAssembly) for JPEG 2000,
 *   and the jpeg2000 package (pdf.js' JPX decoder) for its 2- and 4-component lossless files.
 * Formats Pillow reads but this port does not (PSD, DDS, ICNS, …) raise `unsupported`.
 * This file identifies and checks; each family opens in its own file: open-sharp.ts, open-gif.ts,
 * open-icons.ts (ICO, CUR), open-tga.ts, open-jpeg2000.ts, and the readers bmp.ts, ppm.ts, pcx.ts, sgi.ts.
 */
import { bmpHeader, decodeDib } from './bmp';
import { decodePcx, pcxHeader } from './pcx';
import { decodePpm, ppmHeader } from './ppm';
import { decodeSgi, sgiHeader } from './sgi';
import { corrupt, PNG_MAGIC, startsWith, type OpenedImage } from './opened';
import { jpegFrameCheck, openSharp } from './open-sharp';
import { openGif } from './open-gif';
import { openCur, openIco } from './open-icons';
import { openTga } from './open-tga';
import { openJpeg2000 } from './open-jpeg2000';
import { PILLOW_BOMB_ERROR_PIXELS, PillowImageError, type PillowHeader, type PillowRgb } from './types';

export type { OpenedImage } from './opened';

/** Pillow formats (9.4, with an `_accept` on the first bytes) that this port does not decode. */
const UNPORTED: Array<[string, (b: Uint8Array) => boolean]> = [
  ['BLP', (b) => startsWith(b, 'BLP1') || startsWith(b, 'BLP2')],
  ['DCX', (b) => startsWith(b, [0xb1, 0x68, 0xde, 0x3a])],
  ['DDS', (b) => startsWith(b, 'DDS ')],
  ['EPS', (b) => startsWith(b, '%!PS') || startsWith(b, [0xc5, 0xd0, 0xd3, 0xc6])],
  ['FITS', (b) => startsWith(b, 'SIMPLE')],
  ['FLI', (b) => b.length > 6 && [0xaf11, 0xaf12].includes(b[4] | (b[5] << 8))],
  ['FTEX', (b) => startsWith(b, 'FTEX')],
  ['ICNS', (b) => startsWith(b, 'icns')],
  ['IM', (b) => startsWith(b, 'Image type:')],
  ['MSP', (b) => startsWith(b, 'DanM') || startsWith(b, 'LinS')],
  ['PIXAR', (b) => startsWith(b, [0x80, 0xe8, 0, 0])],
  ['PSD', (b) => startsWith(b, '8BPS')],
  ['SUN', (b) => startsWith(b, [0x59, 0xa6, 0x6a, 0x95])],
  ['XBM', (b) => Buffer.from(b.subarray(0, 64)).toString('latin1').trimStart().startsWith('#define')],
  ['XPM', (b) => startsWith(b, '/* XPM */')],
  ['XVTHUMB', (b) => startsWith(b, 'P7 332')],
];

/** Open `bytes` as Pillow does (identification + header + bomb check). Throws PillowImageError. */
export async function openImage(bytes: Uint8Array, name = 'image'): Promise<OpenedImage> {
  const b = bytes;
  let opened: OpenedImage | null = null;
  if (startsWith(b, 'BM')) opened = openBmp(b);
  else if (startsWith(b, 'GIF87a') || startsWith(b, 'GIF89a')) opened = openGif(b);
  else if (startsWith(b, [0xff, 0xd8, 0xff])) {
    const lossless = jpegFrameCheck(b);
    opened = await openSharp(b, 'JPEG');
    if (lossless) opened = { header: opened.header, decode: async () => { throw corrupt('JPEG: lossless JPEG, which Pillow 9.4 (libjpeg-turbo 2.1) opens but cannot decode'); } };
  }
  else if (b[0] === 0x50 && b.length > 1 && '0123456y'.includes(String.fromCharCode(b[1])) && ppmMagic(b)) opened = openPpm(b);
  else if (startsWith(b, PNG_MAGIC)) opened = await openSharp(b, 'PNG');
  else if (startsWith(b, [0, 0, 2, 0]) && (b[4] | (b[5] << 8)) > 0) opened = openCur(b); // no entry: Pillow's CUR raises TypeError, TGA is tried
  else if (startsWith(b, [0, 0, 1, 0])) opened = await openIco(b);
  else if (startsWith(b, [0xff, 0x4f, 0xff, 0x51]) || startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a])) opened = openJpeg2000(b);
  else if (['MM\0*', 'II*\0', 'MM*\0', 'II\0*', 'MM\0+', 'II+\0'].some((m) => startsWith(b, m))) opened = await openSharp(b, 'TIFF');
  else if (startsWith(b, 'RIFF') && startsWith(b, 'WEBP', 8)) opened = await openSharp(b, 'WEBP');
  else if (b[0] === 10 && [0, 2, 3, 5].includes(b[1])) { const h = pcxHeader(b); opened = { header: pcxPillow(h), decode: async () => decodePcx(b, h) }; }
  else if (b[0] === 0x01 && b[1] === 0xda) { const h = sgiHeader(b); opened = { header: pcxPillow(h), decode: async () => decodeSgi(b, h) }; }
  else {
    const unported = UNPORTED.find(([, test]) => test(b));
    if (unported) throw new PillowImageError('unsupported', `${unported[0]}: Pillow 9.4 reads this format, this port does not decode it`);
    opened = openTga(b);
  }
  if (!opened) throw corrupt(`cannot identify image file '${name}'`);
  const { width, height } = opened.header;
  if (width * height > PILLOW_BOMB_ERROR_PIXELS) {
    throw new PillowImageError('tooLarge', `DecompressionBombError: Image size (${width * height} pixels) exceeds limit of ${PILLOW_BOMB_ERROR_PIXELS} pixels, could be decompression bomb DOS attack.`, opened.header);
  }
  return opened;
}

/** `Image.open(bytes).convert('RGB')`: header plus H×W×3 pixels. */
export async function decodeImage(bytes: Uint8Array, name = 'image'): Promise<PillowRgb> {
  const o = await openImage(bytes, name);
  return { ...o.header, data: await o.decode() };
}

/** The Pillow header part of a format reader's header. */
const pcxPillow = (h: PillowHeader): PillowHeader => ({ format: h.format, mode: h.mode, width: h.width, height: h.height });

// ---- PPM / BMP ------------------------------------------------------------------------------------
function ppmMagic(b: Uint8Array): boolean {
  let m = '';
  for (let i = 0; i < 6 && i < b.length && ![0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(b[i]); i++) m += String.fromCharCode(b[i]);
  return ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'].includes(m);
}

function openPpm(b: Uint8Array): OpenedImage {
  const h = ppmHeader(b);
  return { header: { format: 'PPM', mode: h.mode, width: h.width, height: h.height }, decode: async () => decodePpm(b, h) };
}

function openBmp(b: Uint8Array): OpenedImage {
  const h = bmpHeader(b);
  return { header: { format: 'BMP', mode: h.mode, width: h.width, height: h.height }, decode: async () => decodeDib(b, h.dib) };
}
