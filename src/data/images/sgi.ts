/**
 * SGI images as Pillow 9.4 reads them (SgiImagePlugin.py, SgiRleDecode.c): 1 or 2 bytes per channel
 * (16-bit → the high byte), 1 / 3 / 4 channels (`L`, `RGB`, `RGBA`), verbatim or RLE, planar, rows
 * stored bottom-up.
 */
import { greyToRgb, takeRgb } from './convert';
import { PillowImageError, type PillowHeader } from './types';

const bad = (msg: string) => new PillowImageError('corrupt', msg);

export interface SgiHeader extends PillowHeader { rle: boolean; bpc: number; channels: number }

const MODES: Record<string, string> = { '1,1,1': 'L', '1,2,1': 'L', '2,1,1': 'L', '2,2,1': 'L', '1,3,3': 'RGB', '2,3,3': 'RGB', '1,3,4': 'RGBA', '2,3,4': 'RGBA' };

/** Parse the 512-byte header. */
export function sgiHeader(b: Uint8Array): SgiHeader {
  if (b.length < 512) throw bad('SGI: truncated header');
  const u16 = (o: number) => (b[o] << 8) | b[o + 1];
  const rle = b[2] === 1, bpc = b[3], dim = u16(4), width = u16(6), height = u16(8), z = u16(10);
  const mode = MODES[`${bpc},${dim},${z}`];
  if (!mode) throw bad('Unsupported SGI image mode');
  return { format: 'SGI', mode, width, height, rle, bpc, channels: z };
}

/** Decode to RGB (planes interleaved, rows flipped to top-down). */
export function decodeSgi(b: Uint8Array, h: SgiHeader): Uint8Array {
  const { width: w, height: hgt, bpc, channels: z } = h;
  const planes = new Uint8Array(w * hgt * z); // [c][y bottom-up][x], high byte of each sample
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const sample = (p: number) => b[p]; // the high byte for 16-bit big-endian samples
  if (!h.rle) {
    if (512 + w * hgt * z * bpc > b.length) throw bad('image file is truncated');
    for (let i = 0; i < w * hgt * z; i++) planes[i] = sample(512 + i * bpc);
  } else {
    const tab = 512;
    if (tab + 8 * hgt * z > b.length) throw bad('image file is truncated');
    for (let c = 0; c < z; c++) for (let y = 0; y < hgt; y++) {
      let p = v.getUint32(tab + 4 * (c * hgt + y));
      let x = 0;
      const row = (c * hgt + y) * w;
      for (;;) {
        if (p + bpc > b.length) throw bad('image file is truncated');
        const code = bpc === 1 ? b[p] : v.getUint16(p);
        p += bpc;
        const count = code & 0x7f;
        if (!count) break;
        if (x + count > w) throw bad('SGI: RLE run past the end of a row');
        if (code & 0x80) {
          for (let k = 0; k < count; k++) { planes[row + x++] = sample(p); p += bpc; }
        } else {
          const val = sample(p); p += bpc;
          for (let k = 0; k < count; k++) planes[row + x++] = val;
        }
      }
    }
  }
  const n = w * hgt;
  const inter = new Uint8Array(n * z);
  for (let c = 0; c < z; c++) for (let y = 0; y < hgt; y++) for (let x = 0; x < w; x++) inter[((hgt - 1 - y) * w + x) * z + c] = planes[(c * hgt + y) * w + x];
  return z === 1 ? greyToRgb(inter, n) : takeRgb(inter, n, z);
}
