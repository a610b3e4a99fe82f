/**
 * BMP / DIB as Pillow 9.4 reads them (BmpImagePlugin.py): 1/4/8-bit palettes (mode `1` or `L` when the
 * palette is the grey ramp, else `P`), 16-bit 5-5-5 and bitfields 5-6-5 / 5-5-5, 24-bit, 32-bit BGRX
 * (mode RGB) and the bitfield layouts Pillow knows (BGRA etc. → RGBA), RLE8 and RLE4, bottom-up and
 * top-down rows. Other layouts and compressions raise, as in Pillow. Written here because the npm
 * BMP decoders lack 16-bit, bitfields or RLE. The DIB part also serves ICO entries.
 */
import { PillowImageError, type PillowHeader } from './types';

/** A parsed DIB: everything needed to decode it. */
export interface DibInfo {
  width: number;
  height: number;
  topDown: boolean;
  bpp: number;
  compression: number;
  /** RGB triplets of the palette (bpp ≤ 8). */
  palette: Uint8Array | null;
  /** [r, g, b, a] masks for 16/32-bit bitfields, or null. */
  masks: number[] | null;
  mode: string;
  /** Byte offset of the pixel data in the buffer. */
  dataOffset: number;
}

const bad = (msg: string) => new PillowImageError('corrupt', msg);

/**
 * Parse a DIB header at `offset` (after the 14-byte file header, or an ICO entry). `dataOffset` is the
 * file header's bfOffBits, or null to take the data right after the palette (ICO). `icon`: the height
 * covers XOR and AND images; only the upper half is the image.
 */
export function parseDib(b: Uint8Array, offset: number, dataOffset: number | null, icon = false): DibInfo {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (offset + 16 > b.length) throw bad('BMP: truncated header');
  const size = v.getUint32(offset, true);
  let width: number, height: number, bpp: number, compression = 0, colors = 0;
  const core = size === 12;
  if (core) {
    width = v.getUint16(offset + 4, true); height = v.getInt16(offset + 6, true); bpp = v.getUint16(offset + 10, true);
  } else if ([40, 52, 56, 64, 108, 124].includes(size)) {
    if (offset + 40 > b.length) throw bad('BMP: truncated header');
    width = v.getInt32(offset + 4, true); height = v.getInt32(offset + 8, true); bpp = v.getUint16(offset + 14, true);
    compression = v.getUint32(offset + 16, true); colors = v.getUint32(offset + 32, true);
  } else {
    throw bad(`Unsupported BMP header type (${size})`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (icon) height = Math.trunc(height / 2);
  let masks: number[] | null = null;
  if (compression === 3 || compression === 6) {
    const at = offset + 40; // after a 40-byte header, or inside a larger one
    const n = compression === 6 || size >= 56 ? 4 : 3;
    if (at + 4 * n > b.length) throw bad('BMP: truncated bitfields');
    masks = Array.from({ length: n }, (_, i) => v.getUint32(at + 4 * i, true));
    if (n === 3) masks.push(0);
  }
  const afterHeader = offset + size + (size === 40 && compression === 3 ? 12 : size === 40 && compression === 6 ? 16 : 0);
  let palette: Uint8Array | null = null;
  let mode: string;
  if (bpp <= 8) {
    if (![1, 4, 8].includes(bpp)) throw bad(`Unsupported BMP pixel depth (${bpp})`);
    const count = colors > 0 && colors <= 1 << bpp ? colors : 1 << bpp;
    const stride = core ? 3 : 4;
    if (afterHeader + count * stride > b.length) throw bad('BMP: truncated palette');
    palette = new Uint8Array(count * 3);
    let grey = true;
    for (let i = 0; i < count; i++) {
      const p = afterHeader + i * stride;
      palette[i * 3] = b[p + 2]; palette[i * 3 + 1] = b[p + 1]; palette[i * 3 + 2] = b[p];
      const want = count === 2 ? i * 255 : i;
      if (b[p] !== want || b[p + 1] !== want || b[p + 2] !== want) grey = false;
    }
    mode = grey ? (count === 2 ? '1' : 'L') : 'P';
    if (compression !== 0 && !(compression === 1 && bpp === 8) && !(compression === 2 && bpp === 4)) throw bad(`Unsupported BMP compression (${compression})`);
    dataOffset ??= afterHeader + count * stride;
  } else {
    if (compression === 0) {
      if (bpp === 16) masks = [0x7c00, 0x3e0, 0x1f, 0];
      else if (bpp !== 24 && bpp !== 32) throw bad(`Unsupported BMP pixel depth (${bpp})`);
    } else if (compression === 3 || compression === 6) {
      const key = masks!.map((m) => m.toString(16)).join(',');
      const known: Record<number, string[]> = {
        32: ['ff0000,ff00,ff,0', 'ff000000,ff0000,ff00,0', 'ff000000,ff0000,ff00,ff', 'ff,ff00,ff0000,ff000000', 'ff0000,ff00,ff,ff000000', '0,0,0,0'],
        24: ['ff0000,ff00,ff,0'],
        16: ['f800,7e0,1f,0', '7c00,3e0,1f,0'],
      };
      if (!(known[bpp] ?? []).includes(key)) throw bad('Unsupported BMP bitfields layout');
      if (key === '0,0,0,0') masks = [0xff0000, 0xff00, 0xff, 0xff000000]; // Pillow reads it as BGRA
    } else {
      throw bad(`Unsupported BMP compression (${compression})`);
    }
    mode = masks && masks[3] ? 'RGBA' : 'RGB';
    dataOffset ??= afterHeader;
  }
  if (width <= 0 || height <= 0) throw bad('BMP: bad size');
  return { width, height, topDown, bpp, compression, palette, masks, mode, dataOffset };
}

/** Header of a `BM` file. */
export function bmpHeader(b: Uint8Array): PillowHeader & { dib: DibInfo } {
  if (b.length < 26) throw bad('BMP: truncated header');
  const dataOffset = b[10] | (b[11] << 8) | (b[12] << 16) | (b[13] << 24);
  const dib = parseDib(b, 14, dataOffset);
  return { format: 'BMP', mode: dib.mode, width: dib.width, height: dib.height, dib };
}

/** Bring a `mask`-ed field to 8 bits the way Pillow's unpackers do (5 and 6 bits: v·255 / max, truncated). */
function field(px: number, mask: number): number {
  if (!mask) return 0;
  let shift = 0;
  while (!((mask >>> shift) & 1)) shift++;
  const max = mask >>> shift;
  const val = (px & mask) >>> shift;
  return max === 255 ? val : Math.trunc((val * 255) / max);
}

/** Decode a parsed DIB into RGB (palette looked up, alpha dropped). Raises on truncated data. */
export function decodeDib(b: Uint8Array, d: DibInfo): Uint8Array {
  const { width: w, height: h, bpp } = d;
  const stride = (((w * bpp + 31) >>> 5) << 2);
  if (d.compression !== 1 && d.compression !== 2 && d.dataOffset + stride * (h - 1) + Math.ceil((w * bpp) / 8) > b.length) throw bad('image file is truncated');
  const out = new Uint8Array(w * h * 3);
  const rowOf = (y: number) => (d.topDown ? y : h - 1 - y); // file row y → image row
  if (d.compression === 1 || d.compression === 2) {
    const idx = decodeRle(b, d.dataOffset, w, h, d.compression === 2);
    for (let fy = 0; fy < h; fy++) {
      const y = rowOf(fy);
      for (let x = 0; x < w; x++) setPal(out, (y * w + x) * 3, idx[fy * w + x], d.palette!);
    }
    return out;
  }
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let fy = 0; fy < h; fy++) {
    const row = d.dataOffset + fy * stride;
    const o0 = rowOf(fy) * w * 3;
    for (let x = 0; x < w; x++) {
      const o = o0 + x * 3;
      if (bpp <= 8) {
        const bit = x * bpp;
        const byte = b[row + (bit >> 3)];
        const i = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        setPal(out, o, i, d.palette!);
      } else if (bpp === 24 || (bpp === 32 && !d.masks)) {
        const p = row + x * (bpp >> 3);
        out[o] = b[p + 2]; out[o + 1] = b[p + 1]; out[o + 2] = b[p];
      } else {
        const px = bpp === 16 ? v.getUint16(row + x * 2, true) : bpp === 24 ? b[row + x * 3] | (b[row + x * 3 + 1] << 8) | (b[row + x * 3 + 2] << 16) : v.getUint32(row + x * 4, true);
        out[o] = field(px, d.masks![0]); out[o + 1] = field(px, d.masks![1]); out[o + 2] = field(px, d.masks![2]);
      }
    }
  }
  return out;
}

function setPal(out: Uint8Array, o: number, i: number, pal: Uint8Array): void {
  if (i * 3 < pal.length) { out[o] = pal[i * 3]; out[o + 1] = pal[i * 3 + 1]; out[o + 2] = pal[i * 3 + 2]; }
}

/** Pillow's BmpRleDecoder: indices in file row order (row 0 = first row in the file); unset pixels 0. */
function decodeRle(b: Uint8Array, start: number, w: number, h: number, rle4: boolean): Uint8Array {
  const idx = new Uint8Array(w * h);
  let x = 0, y = 0, p = start;
  const put = (v: number) => { if (x < w && y < h) idx[y * w + x] = v; x++; };
  while (y < h) {
    if (p + 1 >= b.length) throw bad('image file is truncated');
    const n = b[p], c = b[p + 1];
    p += 2;
    if (n > 0) {
      for (let i = 0; i < n; i++) put(rle4 ? (i % 2 === 0 ? c >> 4 : c & 15) : c);
    } else if (c === 0) { x = 0; y++; } // end of line
    else if (c === 1) break; // end of bitmap
    else if (c === 2) { // delta
      if (p + 1 >= b.length) throw bad('image file is truncated');
      x += b[p]; y += b[p + 1]; p += 2;
    } else { // absolute run of c pixels, padded to 16 bits
      const bytes = rle4 ? Math.ceil(c / 2) : c;
      if (p + bytes > b.length) throw bad('image file is truncated');
      for (let i = 0; i < c; i++) put(rle4 ? (i % 2 === 0 ? b[p + (i >> 1)] >> 4 : b[p + (i >> 1)] & 15) : b[p + i]);
      p += bytes + (bytes & 1);
    }
  }
  return idx;
}
