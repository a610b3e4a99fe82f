/**
 * PCX as Pillow 9.4 reads it (PcxImagePlugin.py, PcxDecode.c): 1-bit (`1`), 1-bit × 2/4 planes (`P`, EGA
 * palette in the header), version 5 8-bit (`L` when the trailing 256-colour palette is the grey ramp, else
 * `P`), version 5 8-bit × 3 planes (`RGB`, one plane per channel per line). RLE: a byte ≥ 0xC0 repeats
 * the next byte (its low 6 bits) times. Pillow's stride: (width·bits + 7) // 8, made even unless the
 * header gives exactly that.
 */
import { greyToRgb, paletteToRgb } from './convert';
import { PillowImageError, type PillowHeader } from './types';

const bad = (msg: string) => new PillowImageError('corrupt', msg);

export interface PcxHeader extends PillowHeader { bits: number; planes: number; stride: number; palette: Uint8Array | null }

/** Parse the 128-byte header (and the trailing palette of 8-bit files). */
export function pcxHeader(b: Uint8Array): PcxHeader {
  if (b.length < 128) throw bad('PCX: truncated header');
  const i16 = (o: number) => b[o] | (b[o + 1] << 8);
  const x0 = i16(4), y0 = i16(6), x1 = i16(8) + 1, y1 = i16(10) + 1;
  if (x1 <= x0 || y1 <= y0) throw bad('bad PCX image size');
  const version = b[1], bits = b[3], planes = b[65];
  const width = x1 - x0, height = y1 - y0;
  let mode: string, palette: Uint8Array | null = null;
  if (bits === 1 && planes === 1) mode = '1';
  else if (bits === 1 && (planes === 2 || planes === 4)) { mode = 'P'; palette = b.slice(16, 64); }
  else if (version === 5 && bits === 8 && planes === 1) {
    mode = 'L';
    const s = b.subarray(b.length - 769);
    if (b.length >= 128 + 769 && s[0] === 12) {
      for (let i = 0; i < 256; i++) if (s[i * 3 + 1] !== i || s[i * 3 + 2] !== i || s[i * 3 + 3] !== i) { mode = 'P'; break; }
      if (mode === 'P') palette = s.slice(1);
    }
  } else if (version === 5 && bits === 8 && planes === 3) mode = 'RGB';
  else throw bad('unknown PCX mode');
  let stride = Math.floor((width * bits + 7) / 8);
  if (i16(66) !== stride) stride += stride % 2;
  return { format: 'PCX', mode, width, height, bits, planes, stride, palette };
}

/** Decode to RGB. Raises when the RLE data ends early. */
export function decodePcx(b: Uint8Array, h: PcxHeader): Uint8Array {
  const lineBytes = h.planes * h.stride;
  const raw = new Uint8Array(lineBytes * h.height);
  let p = 128, o = 0;
  while (o < raw.length) {
    if (p >= b.length) throw bad('image file is truncated');
    const c = b[p++];
    if ((c & 0xc0) === 0xc0) {
      if (p >= b.length) throw bad('image file is truncated');
      const v = b[p++];
      for (let k = 0; k < (c & 0x3f) && o < raw.length; k++) raw[o++] = v;
    } else raw[o++] = c;
  }
  const { width: w, height: hgt } = h;
  const n = w * hgt;
  if (h.mode === 'RGB') {
    const out = new Uint8Array(n * 3);
    for (let y = 0; y < hgt; y++) for (let c = 0; c < 3; c++) for (let x = 0; x < w; x++) out[(y * w + x) * 3 + c] = raw[y * lineBytes + c * h.stride + x];
    return out;
  }
  const idx = new Uint8Array(n);
  for (let y = 0; y < hgt; y++) {
    const line = y * lineBytes;
    for (let x = 0; x < w; x++) {
      if (h.bits === 8) idx[y * w + x] = raw[line + x];
      else {
        let v = 0;
        for (let pl = 0; pl < h.planes; pl++) v |= ((raw[line + pl * h.stride + (x >> 3)] >> (7 - (x & 7))) & 1) << pl;
        idx[y * w + x] = h.mode === '1' ? (v ? 255 : 0) : v;
      }
    }
  }
  if (h.mode === '1' || h.mode === 'L') return greyToRgb(idx, n);
  return paletteToRgb(idx, n, h.palette!);
}
