/**
 * TGA (no magic: tried last, on Pillow's header checks) through @lunapaint/tga-codec.
 */
import { takeRgb } from './convert';
import { corrupt, type OpenedImage } from './opened';
import { PillowImageError } from './types';

export function openTga(b: Uint8Array): OpenedImage | null {
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
