/**
 * The `.npy` format's shared vocabulary (numpy.lib.format): element types, the header, the magic
 * bytes, the error type. Reading is in npy.ts, writing in npy-write.ts; import both through npy.ts.
 */

/** Element types we read and write. `U<n>`: UTF-32LE strings of n code points; `S<n>`: n bytes. */
export type NpyDtype =
  | 'f2' | 'f4' | 'f8'
  | 'i1' | 'i2' | 'i4' | 'i8'
  | 'u1' | 'u2' | 'u4' | 'u8'
  | 'b1'
  | `U${number}` | `S${number}`;

/** What a read returns: typed arrays for numbers (i8 → BigInt64Array, b1 → Uint8Array, f2 → Float32Array), string[] for U/S. */
export type NpyData =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array
  | string[];

/** A decoded array, always C order. `dtype` is the file's type without byte-order char ('f4', 'i8', 'U7'). */
export interface NpyArray {
  data: NpyData;
  shape: number[];
  dtype: NpyDtype;
  fortranOrder: false;
}

/** Parsed header of a file plus the byte geometry needed for positioned reads. */
export interface NpyHeader {
  path: string;
  version: [number, number];
  /** The raw descr string, e.g. '<f4', '|u1', '<U7'. */
  descr: string;
  dtype: NpyDtype;
  littleEndian: boolean;
  shape: number[];
  /** Bytes per element. */
  itemSize: number;
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Elements per row (product of shape[1..]); 1 for 1-D arrays. */
  rowElements: number;
  /** Bytes per row. */
  rowBytes: number;
  /** shape[0] (1 for a 0-d array). */
  numRows: number;
  /** Total file size in bytes. */
  fileSize: number;
}

export const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
export const MAX_READ = 1 << 30; // fs.readSync takes at most 2^31-1 bytes per call

/** Error type for every malformed or unsupported .npy input; the message names the file. */
export class NpyError extends Error {
  constructor(public file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'NpyError';
  }
}

/** Bytes per element of `dtype` ('f4' → 4, 'U7' → 28); throws NpyError naming `file` for unsupported types. */
export function itemSizeOf(file: string, dtype: string): number {
  const m = /^([a-zA-Z])(\d+)$/.exec(dtype);
  if (!m) throw new NpyError(file, `unsupported dtype '${dtype}'`);
  const [, kind, n] = m;
  const size = Number(n);
  if (kind === 'U') return 4 * size;
  if (kind === 'S') return size;
  const ok: Record<string, number[]> = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] };
  if (!ok[kind] || !ok[kind].includes(size)) {
    throw new NpyError(file, `unsupported dtype '${dtype}' (expected one of f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1 U<n> S<n>)`);
  }
  return size;
}
