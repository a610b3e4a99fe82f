/**
 * JPEG 2000 (.jp2 and .j2k) through @cornerstonejs/codec-openjpeg (OpenJPEG in WebAssembly), and the
 * jpeg2000 package (pdf.js' JPX decoder) for its 2- and 4-component lossless files.
 */
import { greyToRgb, takeRgb } from './convert';
import { corrupt, startsWith, type OpenedImage } from './opened';
import { PillowImageError } from './types';

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

export function openJpeg2000(b: Uint8Array): OpenedImage {
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
