/**
 * Windows icons and cursors: the ICO directory (Pillow's entry choice: largest area, then highest colour
 * depth; a PNG entry through sharp, else a DIB) and CUR (Pillow's CurImagePlugin choice).
 */
import { decodeDib, parseDib } from './bmp';
import { openSharp } from './open-sharp';
import { corrupt, startsWith, PNG_MAGIC, type OpenedImage } from './opened';
import { PILLOW_BOMB_ERROR_PIXELS, PillowImageError } from './types';

export async function openIco(b: Uint8Array): Promise<OpenedImage> {
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
export function openCur(b: Uint8Array): OpenedImage {
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
