/**
 * PBM / PGM / PPM (P1–P6) as Pillow 9.4 reads them (PpmImagePlugin.py): P1/P4 → mode `1`, P2/P5 → `L`
 * (`I` when maxval > 255), P3/P6 → `RGB`; samples scaled to 255 (65535 for `I`) by
 * round(v / maxval · max) when maxval is not 255 (not 65535 for 16-bit grey, read raw). The
 * Pillow-only `P0CMYK` / `Py…` variants are not decoded. Written here: the format is a few lines and
 * sharp's prebuilt libvips does not load it.
 */
import { greyToRgb } from './convert';
import { PillowImageError, type PillowHeader } from './types';

const WS = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);
const bad = (msg: string) => new PillowImageError('corrupt', msg);

export interface PpmHeader extends PillowHeader { magic: string; maxval: number; dataOffset: number }

/** Parse the header the way Pillow's `_read_magic` / `_read_token` do (comments at token starts). */
export function ppmHeader(b: Uint8Array): PpmHeader {
  let p = 0;
  let magic = '';
  while (p < b.length && magic.length < 6 && !WS.has(b[p])) magic += String.fromCharCode(b[p++]);
  if (p < b.length && WS.has(b[p])) p++;
  const mode = ({ P1: '1', P2: 'L', P3: 'RGB', P4: '1', P5: 'L', P6: 'RGB' } as Record<string, string>)[magic];
  if (!mode) throw bad(`PPM: not a supported PPM file (magic ${JSON.stringify(magic)})`);
  const token = (): number => {
    let t = '';
    while (t.length <= 10) {
      if (p >= b.length) break;
      const c = b[p++];
      if (WS.has(c)) { if (!t) continue; break; }
      if (c === 0x23) { while (p < b.length && b[p] !== 0x0a && b[p] !== 0x0d) p++; p++; continue; }
      t += String.fromCharCode(c);
    }
    if (!t) throw bad('Reached EOF while reading header');
    if (t.length > 10) throw bad(`Token too long in file header: ${t}`);
    if (!/^[+-]?\d+$/.test(t.trim())) throw bad(`invalid literal for int() with base 10: '${t}'`);
    return parseInt(t, 10);
  };
  const width = token(), height = token();
  let maxval = 1, outMode = mode;
  if (mode !== '1') {
    maxval = token();
    if (!(maxval > 0 && maxval < 65536)) throw bad('maxval must be greater than 0 and less than 65536');
    if (maxval > 255 && mode === 'L') outMode = 'I';
  }
  return { format: 'PPM', mode: outMode, width, height, magic, maxval, dataOffset: p };
}

/** Decode to RGB (`I` clipped to 255 by convert). Raises when the data ends early. */
export function decodePpm(b: Uint8Array, h: PpmHeader): Uint8Array {
  const n = h.width * h.height;
  const bands = h.mode === 'RGB' ? 3 : 1;
  const outMax = h.mode === 'I' ? 65535 : 255;
  const plain = h.magic === 'P1' || h.magic === 'P2' || h.magic === 'P3';
  const rawBytes = h.magic === 'P4' ? Math.ceil(h.width / 8) * h.height : n * bands * (h.maxval < 256 ? 1 : 2);
  if (!plain && h.dataOffset + rawBytes > b.length) throw bad('image file is truncated'); // before allocating
  const samples = new Uint32Array(n * bands);
  const scale = (v: number) => (h.maxval === outMax ? v : Math.min(outMax, roundHalfEven((v / h.maxval) * outMax)));
  if (h.magic === 'P4') {
    const stride = Math.ceil(h.width / 8);
    if (h.dataOffset + stride * h.height > b.length) throw bad('image file is truncated');
    for (let y = 0; y < h.height; y++) for (let x = 0; x < h.width; x++) {
      samples[y * h.width + x] = (b[h.dataOffset + y * stride + (x >> 3)] >> (7 - (x & 7))) & 1 ? 0 : 255;
    }
  } else if (!plain) {
    const bytes = h.maxval < 256 ? 1 : 2;
    if (h.dataOffset + n * bands * bytes > b.length) throw bad('image file is truncated');
    for (let i = 0; i < n * bands; i++) {
      const at = h.dataOffset + i * bytes;
      samples[i] = scale(bytes === 1 ? b[at] : (b[at] << 8) | b[at + 1]);
    }
  } else {
    const text = Buffer.from(b.subarray(h.dataOffset)).toString('latin1').replace(/#[^\r\n]*/g, ' ');
    if (h.magic === 'P1') {
      const bits = text.replace(/\s+/g, '');
      if (bits.length < n) throw bad('image file is truncated');
      for (let i = 0; i < n; i++) {
        if (bits[i] !== '0' && bits[i] !== '1') throw bad(`Invalid token for this mode: ${bits[i]}`);
        samples[i] = bits[i] === '1' ? 0 : 255;
      }
    } else {
      const toks = text.trim().split(/\s+/);
      if (toks.length < n * bands || toks[0] === '') throw bad('image file is truncated');
      for (let i = 0; i < n * bands; i++) {
        const v = parseInt(toks[i], 10);
        if (toks[i].length > 10 || Number.isNaN(v)) throw bad(`Token too long found in data: ${toks[i]}`);
        if (v > h.maxval) throw bad(`Channel value too large for this mode: ${v}`);
        samples[i] = roundHalfEven((v / h.maxval) * outMax);
      }
    }
  }
  if (bands === 3) return Uint8Array.from(samples);
  return greyToRgb(samples, n);
}

/** Python's round(): half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
