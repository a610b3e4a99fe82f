/**
 * PNG, JPEG, TIFF and WebP through sharp (libvips), where it agrees with Pillow 9.4 — except the modes
 * it would colour-manage or rescale, which are decoded raw and converted with Pillow's formulas: 16-bit
 * grey (`I`, `I;16`: values clipped at 255, no rescale) and CMYK (Pillow's naive MULDIV255 inversion;
 * JPEG CMYK read with Pillow's Adobe convention). Embedded ICC profiles are ignored, EXIF orientation is
 * not applied (Pillow does neither). Animated WebP/PNG: the first frame. The mode comes from the file's
 * own header (PNG IHDR, the TIFF IFD), as Pillow reports it.
 */
import sharp from 'sharp';
import { cmykToRgb, greyToRgb, takeRgb } from './convert';
import { corrupt, startsWith, type OpenedImage } from './opened';
import { PillowImageError, type PillowHeader } from './types';

/**
 * Pillow 9.4 decodes JPEG with Debian's libjpeg-turbo 2.1 (8-bit baseline/progressive/arithmetic only);
 * sharp's newer libjpeg-turbo also reads 12/16-bit and lossless JPEG, which Pillow cannot. Other than
 * 8-bit samples: Pillow's open fails (raised here). Lossless frame: open succeeds, decoding fails
 * (returns true).
 */
export function jpegFrameCheck(b: Uint8Array): boolean {
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

export async function openSharp(b: Uint8Array, format: 'PNG' | 'JPEG' | 'TIFF' | 'WEBP'): Promise<OpenedImage> {
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
