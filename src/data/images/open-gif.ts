/**
 * GIF through gifuct-js: palette indices of the first frame, transparency ignored as Pillow's `P` → RGB
 * does; outside the first frame: the transparent index, else index 0. A first image whose LZW data
 * ends outside the file is an error, as in Pillow.
 */
import { parseGIF, decompressFrame } from 'gifuct-js';
import { greyToRgb, paletteToRgb } from './convert';
import { corrupt, type OpenedImage } from './opened';

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

export function openGif(b: Uint8Array): OpenedImage {
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
