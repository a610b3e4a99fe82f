/**
 * Pillow 9.4's `convert('RGB')` (libImaging/Convert.c) for the modes a decoder hands over: every
 * rule is a plain per-pixel formula, no colour management (Pillow ignores ICC profiles and gamma).
 */

/** Grey samples (mode `1`, `L`, `LA`, `I`, `I;16`) with `channels` per pixel → RGB, value clipped to 0..255 (mode `I` → RGB clips, no rescale). */
export function greyToRgb(src: ArrayLike<number>, n: number, channels = 1): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = src[i * channels];
    const g = v <= 0 ? 0 : v >= 255 ? 255 : v;
    out[i * 3] = g; out[i * 3 + 1] = g; out[i * 3 + 2] = g;
  }
  return out;
}

/** The first three of `channels` samples per pixel (RGB, RGBA with alpha dropped, not composited). */
export function takeRgb(src: ArrayLike<number>, n: number, channels: number): Uint8Array {
  if (channels === 3 && src instanceof Uint8Array) return new Uint8Array(src.subarray(0, n * 3));
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = src[i * channels]; out[i * 3 + 1] = src[i * channels + 1]; out[i * 3 + 2] = src[i * channels + 2];
  }
  return out;
}

/** Pillow's MULDIV255: round(a·b / 255) in integers. */
function muldiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * CMYK → RGB as Pillow 9.4 does it (Convert.c `cmyk2rgb`): R = MULDIV255(255 − C, 255 − K), same
 * for G with M and B with Y. `src` is Pillow's CMYK (for JPEG: after its Adobe inversion).
 */
export function cmykToRgb(src: ArrayLike<number>, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const nk = 255 - src[i * 4 + 3];
    out[i * 3] = muldiv255(255 - src[i * 4], nk);
    out[i * 3 + 1] = muldiv255(255 - src[i * 4 + 1], nk);
    out[i * 3 + 2] = muldiv255(255 - src[i * 4 + 2], nk);
  }
  return out;
}

/** Palette indices → RGB (`P` → RGB ignores transparency); an index past the palette is black. */
export function paletteToRgb(indices: ArrayLike<number>, n: number, palette: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(n * 3);
  const entries = Math.floor(palette.length / 3);
  for (let i = 0; i < n; i++) {
    const p = indices[i];
    if (p < entries) { out[i * 3] = palette[p * 3]; out[i * 3 + 1] = palette[p * 3 + 1]; out[i * 3 + 2] = palette[p * 3 + 2]; }
  }
  return out;
}
