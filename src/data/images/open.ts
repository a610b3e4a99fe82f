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
 */
import sharp from 'sharp';
import { parseGIF, decompressFrame } from 'gifuct-js';
import { bmpHeader, decodeDib, parseDib } from './bmp';
import { cmykToRgb, greyToRgb, paletteToRgb, takeRgb } from './convert';
import { decodePcx, pcxHeader } from './pcx';
import { decodePpm, ppmHeader } from './ppm';
import { decodeSgi, sgiHeader } from './sgi';
import { PILLOW_BOMB_ERROR_PIXELS, PillowImageError, type PillowHeader, type PillowRgb } from './types';

/** An opened image: its header, and the decode that `convert('RGB')` would run. */
export interface OpenedImage {
  header: PillowHeader;
  decode(): Promise<Uint8Array>;
}

const corrupt = (msg: string) => new PillowImageError('corrupt', msg);
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (b: Uint8Array, bytes: number[] | string, at = 0) =>
  (typeof bytes === 'string' ? [...bytes].map((c) => c.charCodeAt(0)) : bytes).every((x, i) => b[at + i] === x);

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

/**
 * Pillow 9.4 decodes JPEG with Debian's libjpeg-turbo 2.1 (8-bit baseline/progressive/arithmetic only);
 * sharp's newer libjpeg-turbo also reads 12/16-bit and lossless JPEG, which Pillow cannot. Other than
 * 8-bit samples: Pillow's open fails (raised here). Lossless frame: open succeeds, decoding fails
 * (returns true).
 */
function jpegFrameCheck(b: Uint8Array): boolean {
  for (let p = 2; p + 4 <= b.length;) {
    if (b[p] !== 0xff) { p++; continue; }
    const marker = b[p + 1];
    if (marker === 0xff) { p++; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { p += 2; continue; }
    if (marker === 0xda || marker === 0xd9) return false; // start of scan / end before any frame: left to the decoder
    const len = (b[p + 2] << 8) | b[p + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (b[p + 4] !== 8) throw corrupt(`JPEG: ${b[p + 4]}-bit samples, which Pillow 9.4 (libjpeg-turbo 2.1) cannot decode`);
      return [0xc3, 0xc7, 0xcb, 0xcf].includes(marker);
    }
    p += 2 + len;
  }
  return false;
}

// ---- sharp: PNG, JPEG, TIFF, WebP ----------------------------------------------------------------
// ignoreIcc: Pillow ignores embedded ICC profiles; without it libvips converts a P3 / Adobe RGB image to sRGB
const SHARP_OPTS = { failOn: 'error', limitInputPixels: false, ignoreIcc: true } as const;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngMode(b: Uint8Array): { mode: string; width: number; height: number } {
  if (b.length < 33 || !startsWith(b, 'IHDR', 12)) throw corrupt('broken PNG file (no IHDR)');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // Pillow's open reads every chunk before the first IDAT and checks its CRC: a mismatch (even in an
  // ancillary chunk, which libpng would only warn about) makes the file unidentifiable
  for (let p = 8; p + 8 <= b.length;) {
    const len = v.getUint32(p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    if (type === 'IDAT') break;
    if (p + 12 + len > b.length) throw corrupt(`broken PNG file (incomplete checksum in ${type})`);
    if (crc32(b.subarray(p + 4, p + 8 + len)) !== v.getUint32(p + 8 + len)) throw corrupt(`cannot identify image file (broken PNG file: bad header checksum in ${type})`);
    if (type === 'IEND') break;
    p += 12 + len;
  }
  const width = v.getUint32(16), height = v.getUint32(20), depth = b[24], type = b[25];
  const modes: Record<string, string> = {
    '1,0': '1', '2,0': 'L', '4,0': 'L', '8,0': 'L', '16,0': 'I', '8,2': 'RGB', '16,2': 'RGB',
    '1,3': 'P', '2,3': 'P', '4,3': 'P', '8,3': 'P', '8,4': 'LA', '16,4': 'RGBA', '8,6': 'RGBA', '16,6': 'RGBA',
  };
  const mode = modes[`${depth},${type}`];
  if (!mode) throw corrupt('unknown PNG mode');
  return { mode, width, height };
}

/** The first IFD's tags of a classic TIFF: tag → values (SHORT, LONG, RATIONAL as numbers); empty for BigTIFF. */
function tiffTags(b: Uint8Array): Map<number, number[]> {
  const tags = new Map<number, number[]>();
  const le = b[0] === 0x49;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b[2] === 43 || b[3] === 43 || b.length < 8) return tags; // BigTIFF: left to sharp's metadata
  const ifd = v.getUint32(4, le);
  if (ifd + 2 > b.length) return tags;
  const n = v.getUint16(ifd, le);
  const size: Record<number, number> = { 3: 2, 4: 4, 5: 8 };
  for (let i = 0; i < n && ifd + 2 + 12 * i + 12 <= b.length; i++) {
    const e = ifd + 2 + 12 * i;
    const tag = v.getUint16(e, le), type = v.getUint16(e + 2, le), count = v.getUint32(e + 4, le);
    if (!size[type] || count > 64) continue;
    const at = size[type] * count <= 4 ? e + 8 : v.getUint32(e + 8, le);
    if (at + size[type] * count > b.length) continue;
    const vals: number[] = [];
    for (let k = 0; k < count; k++) {
      const p = at + k * size[type];
      vals.push(type === 3 ? v.getUint16(p, le) : type === 4 ? v.getUint32(p, le) : v.getUint32(p, le) / (v.getUint32(p + 4, le) || 1));
    }
    tags.set(tag, vals);
  }
  return tags;
}

/**
 * libtiff's TIFFYCbCrToRGB (tif_color.c) with the default coefficients (0.299, 0.587, 0.114) and
 * ReferenceBlackWhite (0, 255, 128, 255, 128, 255): how Pillow's libtiff decoder turns 8-bit YCbCr
 * into RGB. `src` holds Y, Cb, Cr interleaved (1×1 subsampling).
 */
function tiffYcbcrToRgb(src: ArrayLike<number>, n: number, channels: number): Uint8Array {
  const FIX = (x: number) => Math.trunc(x * 65536 + 0.5);
  const f = Math.fround;
  const f1 = f(2 - f(2 * f(0.299))), f3 = f(2 - f(2 * f(0.114)));
  const d1 = FIX(f1), d2 = -FIX(f(f(f(0.299) * f1) / f(0.587))), d3 = FIX(f3), d4 = -FIX(f(f(f(0.114) * f3) / f(0.587)));
  const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const y = src[i * channels], cb = src[i * channels + 1] - 128, cr = src[i * channels + 2] - 128;
    out[i * 3] = clamp(y + ((d1 * cr + 32768) >> 16));
    out[i * 3 + 1] = clamp(y + Math.floor((d4 * cb + 32768 + d2 * cr) / 65536));
    out[i * 3 + 2] = clamp(y + ((d3 * cb + 32768) >> 16));
  }
  return out;
}

async function openSharp(b: Uint8Array, format: 'PNG' | 'JPEG' | 'TIFF' | 'WEBP'): Promise<OpenedImage> {
  let mode: string, width: number, height: number;
  if (format === 'PNG') {
    ({ mode, width, height } = pngMode(b));
  } else {
    let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
    try {
      meta = await sharp(b, SHARP_OPTS).metadata();
    } catch (e) {
      throw corrupt(`${format}: ${(e as Error).message}`);
    }
    if (!meta.width || !meta.height) throw corrupt(`${format}: no size in header`);
    width = meta.width; height = meta.height;
    const alpha = meta.hasAlpha;
    if (meta.depth === 'float' || meta.depth === 'double') mode = 'F';
    else if (meta.depth === 'int' || meta.depth === 'uint') mode = 'I';
    else if (meta.space === 'cmyk') mode = 'CMYK';
    else if (meta.space === 'grey16') mode = alpha ? 'LA' : 'I;16';
    else if (meta.space === 'b-w') mode = meta.bitsPerSample === 1 ? '1' : alpha ? 'LA' : 'L';
    else mode = alpha ? 'RGBA' : 'RGB';
    if (format === 'TIFF') {
      const tags = tiffTags(b);
      const photometric = tags.get(262)?.[0], compression = tags.get(259)?.[0] ?? 1;
      if (photometric === 3) mode = 'P';
      if (mode === 'I;16' && b[0] === 0x4d) mode = 'I;16B';
      if (photometric === 6 && compression !== 7 && compression !== 6) {
        // YCbCr not in JPEG: Pillow 9.4 expects RGBX bytes; uncompressed strips then run short, other
        // compressions go through libtiff's RGBA conversion (reproduced for the default tags only)
        if (compression === 1) throw corrupt('image file is truncated (uncompressed YCbCr TIFF read as RGBX by Pillow 9.4)');
        const sub = tags.get(530) ?? [2, 2], rbw = tags.get(532) ?? [0, 255, 128, 255, 128, 255], coef = tags.get(529);
        const plain = sub[0] === 1 && sub[1] === 1 && rbw.join() === '0,255,128,255,128,255' && !coef && (tags.get(258)?.[0] ?? 8) === 8;
        if (!plain) throw new PillowImageError('unsupported', 'TIFF YCbCr with subsampling or non-default reference values: Pillow (libtiff) reads it, this port does not');
        mode = 'RGB';
        const header: PillowHeader = { format, mode, width, height };
        return {
          header,
          decode: async () => {
            try {
              const { data, info } = await sharp(b, SHARP_OPTS).raw().toBuffer({ resolveWithObject: true });
              if (info.channels < 3) throw corrupt('TIFF: YCbCr decoded to fewer than 3 channels');
              return tiffYcbcrToRgb(data, width * height, info.channels);
            } catch (e) {
              if (e instanceof PillowImageError) throw e;
              throw corrupt(`TIFF: ${(e as Error).message}`);
            }
          },
        };
      }
    }
  }
  const header: PillowHeader = { format, mode, width, height };
  return {
    header,
    decode: async () => {
      const n = width * height;
      try {
        if (mode === 'CMYK') {
          const { data, info } = await sharp(b, SHARP_OPTS).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
          if (info.channels !== 4) throw corrupt(`${format}: CMYK decoded to ${info.channels} channels`);
          return cmykToRgb(data, n);
        }
        if ((format === 'PNG' && mode === 'I') || mode.startsWith('I;16')) { // 16-bit grey, read raw, clipped (F and 32-bit I: libvips' cast clips the same way)
          const { data, info } = await sharp(b, SHARP_OPTS).pipelineColourspace('grey16').toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
          return greyToRgb(new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2), n, info.channels);
        }
        const { data, info } = await sharp(b, SHARP_OPTS).raw().toBuffer({ resolveWithObject: true });
        if (info.width !== width || info.height !== height) throw corrupt(`${format}: decoded ${info.width}x${info.height}, header says ${width}x${height}`);
        return info.channels <= 2 ? greyToRgb(data, n, info.channels) : takeRgb(data, n, info.channels);
      } catch (e) {
        if (e instanceof PillowImageError) throw e;
        throw corrupt(`${format}: ${(e as Error).message}`);
      }
    },
  };
}

// ---- GIF -------------------------------------------------------------------------------------------
interface GifFrame { image?: { descriptor: { left: number; top: number; width: number; height: number } }; gce?: { extras?: { transparentColorGiven?: boolean }; transparentColorIndex?: number } }

/** True when the first image's LZW sub-blocks end (0 terminator) inside the file; Pillow raises otherwise. */
function gifFirstImageComplete(b: Uint8Array): boolean {
  let p = 13 + (b[10] & 0x80 ? 3 * (2 << (b[10] & 7)) : 0);
  const skipSubBlocks = (): boolean => {
    while (p < b.length) {
      const n = b[p++];
      if (n === 0) return true;
      p += n;
    }
    return false;
  };
  while (p < b.length) {
    const code = b[p++];
    if (code === 0x21) { p++; if (!skipSubBlocks()) return false; }
    else if (code === 0x2c) {
      if (p + 9 > b.length) return false;
      const flags = b[p + 8];
      p += 9 + (flags & 0x80 ? 3 * (2 << (flags & 7)) : 0) + 1; // descriptor, local table, LZW minimum code size
      return skipSubBlocks();
    } else return false;
  }
  return false;
}

function openGif(b: Uint8Array): OpenedImage {
  if (b.length < 13) throw corrupt('GIF: truncated header');
  let width = b[6] | (b[7] << 8), height = b[8] | (b[9] << 8);
  let gif: { gct?: number[][]; frames: GifFrame[] };
  try {
    gif = parseGIF(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer) as unknown as typeof gif;
  } catch (e) {
    throw corrupt(`GIF: ${(e as Error).message}`);
  }
  const frame = gif.frames.find((f) => f.image);
  if (!frame) throw corrupt('GIF: no frame');
  const d = frame.image!.descriptor;
  // Pillow grows the size when the first frame lies outside the logical screen
  width = Math.max(width, d.left + d.width); height = Math.max(height, d.top + d.height);
  const decoded = (): ReturnType<typeof decompressFrame> => decompressFrame(frame as never, gif.gct as never, false);
  const hasPalette = (gif.gct && gif.gct.length > 0) || ((frame.image as { lct?: unknown[] }).lct?.length ?? 0) > 0;
  return {
    header: { format: 'GIF', mode: hasPalette ? 'P' : 'L', width, height },
    decode: async () => {
      if (!gifFirstImageComplete(b)) throw corrupt('image file is truncated');
      let f: ReturnType<typeof decompressFrame>;
      try { f = decoded(); } catch (e) { throw corrupt(`GIF: ${(e as Error).message}`); }
      const trns = frame.gce?.extras?.transparentColorGiven ? frame.gce.transparentColorIndex ?? 0 : 0;
      const idx = new Uint8Array(width * height).fill(trns);
      const { left, top, width: fw, height: fh } = f.dims;
      for (let y = 0; y < fh; y++) for (let x = 0; x < fw; x++) {
        if (top + y < height && left + x < width) idx[(top + y) * width + left + x] = f.pixels[y * fw + x] ?? 0;
      }
      if (!hasPalette) return greyToRgb(idx, width * height);
      const table = f.colorTable as ArrayLike<number>[];
      const pal = new Uint8Array(table.length * 3);
      table.forEach((c, i) => pal.set([c[0], c[1], c[2]], i * 3));
      return paletteToRgb(idx, width * height, pal);
    },
  };
}

// ---- ICO -------------------------------------------------------------------------------------------
async function openIco(b: Uint8Array): Promise<OpenedImage> {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 6) throw corrupt('ICO: truncated header');
  const count = v.getUint16(4, true);
  const entries: Array<{ width: number; height: number; depth: number; square: number; offset: number; bpp: number }> = [];
  for (let i = 0; i < count; i++) {
    const e = 6 + 16 * i;
    if (e + 16 > b.length) throw corrupt('ICO: truncated directory');
    const width = b[e] || 256, height = b[e + 1] || 256, nbColor = b[e + 2], bpp = v.getUint16(e + 6, true);
    const depth = bpp || (nbColor !== 0 ? Math.ceil(Math.log2(nbColor)) : 0) || 256;
    entries.push({ width, height, depth, square: width * height, offset: v.getUint32(e + 12, true), bpp });
  }
  if (!entries.length) throw corrupt('ICO: no entries');
  // Pillow: stable sort by colour depth, then by area, then reverse → entry 0
  const sorted = entries.map((e, i) => ({ e, i })).sort((a, c) => a.e.depth - c.e.depth || a.i - c.i);
  const byArea = sorted.map((x, j) => ({ ...x, j })).sort((a, c) => a.e.square - c.e.square || a.j - c.j).reverse();
  const chosen = byArea[0].e;
  if (chosen.offset >= b.length) throw corrupt('ICO: entry outside the file');
  const sub = b.subarray(chosen.offset);
  let frame: OpenedImage;
  if (startsWith(sub, PNG_MAGIC)) {
    frame = await openSharp(sub, 'PNG');
  } else {
    const dib = parseDib(b, chosen.offset, null, true);
    frame = { header: { format: 'BMP', mode: 'RGBA', width: dib.width, height: dib.height }, decode: async () => decodeDib(b, dib) };
  }
  if (frame.header.width * frame.header.height > PILLOW_BOMB_ERROR_PIXELS) throw new PillowImageError('tooLarge', 'DecompressionBombError in an ICO frame');
  // Pillow decodes the frame inside open(): errors there are open errors (same default image)
  const data = await frame.decode();
  return { header: { ...frame.header, format: 'ICO' }, decode: async () => data };
}

// ---- CUR -------------------------------------------------------------------------------------------
/** Pillow's CurImagePlugin: the first entry, replaced by any later one strictly wider and taller (raw directory bytes), read as a DIB with half its height. */
function openCur(b: Uint8Array): OpenedImage {
  const count = b[4] | (b[5] << 8);
  let m = -1;
  for (let i = 0; i < count; i++) {
    const e = 6 + 16 * i;
    if (e + 16 > b.length) break;
    if (m < 0 || (b[e] > b[m] && b[e + 1] > b[m + 1])) m = e;
  }
  if (m < 0) throw corrupt('CUR: truncated directory');
  const at = b[m + 12] | (b[m + 13] << 8) | (b[m + 14] << 16) | (b[m + 15] << 24);
  const dib = parseDib(b, at, null, true);
  return { header: { format: 'CUR', mode: dib.mode, width: dib.width, height: dib.height }, decode: async () => decodeDib(b, dib) };
}

// ---- TGA -------------------------------------------------------------------------------------------
function openTga(b: Uint8Array): OpenedImage | null {
  if (b.length < 18) return null;
  const colormapType = b[1], imageType = b[2], depth = b[16];
  const width = b[12] | (b[13] << 8), height = b[14] | (b[15] << 8);
  if (![0, 1].includes(colormapType) || width <= 0 || height <= 0 || ![1, 8, 16, 24, 32].includes(depth)) return null;
  let mode: string;
  if (imageType === 3 || imageType === 11) mode = depth === 1 ? '1' : depth === 16 ? 'LA' : 'L';
  else if (imageType === 1 || imageType === 9) mode = 'P';
  else if (imageType === 2 || imageType === 10) mode = depth === 32 ? 'RGBA' : 'RGB';
  else return null; // "unknown TGA mode": Pillow moves on (and then cannot identify the file)
  return {
    header: { format: 'TGA', mode, width, height },
    decode: async () => {
      const { decodeTga } = await import('@lunapaint/tga-codec');
      try {
        const t = await decodeTga(b, { detectAmbiguousAlphaChannel: false });
        if (t.image.width !== width || t.image.height !== height) throw corrupt('TGA: decoded size differs from the header');
        return takeRgb(t.image.data, width * height, 4);
      } catch (e) {
        if (e instanceof PillowImageError) throw e;
        throw corrupt(`TGA: ${(e as Error).message}`);
      }
    },
  };
}

// ---- JPEG 2000 ----------------------------------------------------------------------------------------
interface J2kDecoder { getEncodedBuffer(n: number): Uint8Array; decode(): void; getDecodedBuffer(): Uint8Array; getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean }; delete?(): void }
let openjpeg: Promise<{ J2KDecoder: new () => J2kDecoder }> | null = null;

/** The codestream of a .jp2 (its `jp2c` box) or the .j2k bytes, and the SIZ size / component count. */
function j2kCodestream(b: Uint8Array): Uint8Array {
  if (startsWith(b, [0xff, 0x4f])) return b;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 0; p + 8 <= b.length;) {
    let len = v.getUint32(p);
    const type = String.fromCharCode(b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    let head = 8;
    if (len === 1) { len = Number(v.getBigUint64(p + 8)); head = 16; }
    if (len === 0) len = b.length - p;
    if (type === 'jp2c') return b.subarray(p + head, p + len);
    if (len < head) break;
    p += len;
  }
  throw corrupt('JPEG2000: no codestream (jp2c box)');
}

/** True when the main header's COD marker says reversible 5/3 wavelet (lossless-capable integer path). */
function j2kReversible(cs: Uint8Array): boolean {
  for (let p = 2; p + 4 <= cs.length;) {
    if (cs[p] !== 0xff) return false;
    const marker = cs[p + 1], len = (cs[p + 2] << 8) | cs[p + 3];
    if (marker === 0x52) return p + 13 < cs.length && cs[p + 13] === 1;
    if (marker === 0x90) return false; // first tile part: no COD in the main header
    p += 2 + len;
  }
  return false;
}

function openJpeg2000(b: Uint8Array): OpenedImage {
  const cs = j2kCodestream(b);
  if (cs.length < 42 || !startsWith(cs, [0xff, 0x4f, 0xff, 0x51])) throw corrupt('JPEG2000: no SIZ marker');
  const v = new DataView(cs.buffer, cs.byteOffset, cs.byteLength);
  const width = v.getUint32(8) - v.getUint32(16), height = v.getUint32(12) - v.getUint32(20);
  const comps = v.getUint16(40);
  const bits = (cs[42] & 0x7f) + 1;
  const mode = comps === 1 ? (bits > 8 ? 'I;16' : 'L') : comps === 2 ? 'LA' : comps === 3 ? 'RGB' : comps === 4 ? 'RGBA' : '';
  if (!mode) throw corrupt(`JPEG2000: unsupported component count ${comps}`);
  // @cornerstonejs/codec-openjpeg decodes 1 and 3 components (4 fail); 2 and 4 reversible (5/3, lossless)
  // components go to the jpeg2000 package (pdf.js' JPX decoder: exact when lossless, not on 9/7 wavelets);
  // over 8 bits Pillow's scaling is not checked here
  if (bits > 8 || ((comps === 2 || comps === 4) && !j2kReversible(cs))) {
    throw new PillowImageError('unsupported', `JPEG2000 ${mode} with ${bits}-bit components${bits > 8 ? '' : ', irreversible wavelet'}: Pillow reads it, the decoders used here do not reproduce it`);
  }
  if (comps === 2 || comps === 4) {
    return {
      header: { format: 'JPEG2000', mode, width, height },
      decode: async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { JpxImage } = require('jpeg2000') as { JpxImage: new () => { parse(d: Uint8Array): void; width: number; height: number; componentsCount: number; tiles: Array<{ width: number; height: number; items: Uint8Array }> } };
        const jpx = new JpxImage();
        try {
          jpx.parse(Buffer.from(cs.buffer, cs.byteOffset, cs.byteLength)); // it reads with Buffer methods
        } catch (e) {
          throw corrupt(`JPEG2000: ${String((e as Error)?.message ?? e)}`);
        }
        const t = jpx.tiles[0];
        if (jpx.tiles.length !== 1 || t.width !== width || t.height !== height) throw corrupt('JPEG2000: decoded size differs from the header');
        return comps === 2 ? greyToRgb(t.items, width * height, 2) : takeRgb(t.items, width * height, 4);
      },
    };
  }
  return {
    header: { format: 'JPEG2000', mode, width, height },
    decode: async () => {
      openjpeg ??= (async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (opts?: object) => Promise<{ J2KDecoder: new () => J2kDecoder }>;
        return factory({ print: () => undefined, printErr: () => undefined }); // silence OpenJPEG's [INFO] lines
      })();
      const lib = await openjpeg;
      const dec = new lib.J2KDecoder();
      try {
        dec.getEncodedBuffer(b.length).set(b); // the whole file: OpenJPEG reads JP2 boxes itself, as Pillow's decoder does
        dec.decode();
        const info = dec.getFrameInfo();
        if (info.width !== width || info.height !== height) throw corrupt('JPEG2000: decoded size differs from the header');
        const raw = dec.getDecodedBuffer();
        const n = width * height;
        const c = info.componentCount;
        const samples = info.bitsPerSample > 8 ? new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : new Uint8Array(raw);
        return c === 1 ? greyToRgb(samples, n, 1) : takeRgb(samples, n, 3);
      } catch (e) {
        if (e instanceof PillowImageError) throw e;
        throw corrupt(`JPEG2000: ${String((e as Error)?.message ?? e)}`);
      } finally {
        dec.delete?.();
      }
    },
  };
}
