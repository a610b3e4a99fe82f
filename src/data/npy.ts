/**
 * NumPy `.npy` files: read whole arrays or row ranges, write whole arrays, stream rows to disk.
 *
 * Format (numpy.lib.format): magic `\x93NUMPY`, version byte pair, a little-endian header length
 * (u16 for v1, u32 for v2/v3), then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (N, D), }` padded to the data offset, then the
 * raw C-order data. numpy pads with spaces and a final `\n`; the DRIN reference's streaming writer
 * instead writes a fixed 128-byte header padded with newline bytes. Both read here.
 *
 * npyjs (in node_modules) parses whole in-memory buffers only; it has no row ranges, no `|S`, no
 * truncation / Fortran-order errors, and decodes `<U` with one spread call that overflows the stack
 * on large arrays. So the header and data paths are ours and npyjs contributes its float16 decoder.
 */
import * as fs from 'node:fs';
import { float16ToFloat32 } from 'npyjs';
import { itemSizeOf, MAGIC, MAX_READ, NpyArray, NpyData, NpyDtype, NpyError, NpyHeader } from './npy-format';

// the format's types and the writers: one import path for every .npy user
export type { NpyArray, NpyData, NpyDtype, NpyHeader } from './npy-format';
export { NpyError } from './npy-format';
export * from './npy-write';

/** Parse the header dict text of `file`. */
function parseHeaderDict(file: string, text: string): { descr: string; fortran: boolean; shape: number[] } {
  const descrM = /'descr'\s*:\s*('([^']*)'|\[)/.exec(text);
  if (!descrM) throw new NpyError(file, `malformed header (no 'descr'): ${JSON.stringify(text.trim())}`);
  if (descrM[1] === '[') throw new NpyError(file, 'structured dtypes (record arrays) are not supported');
  const descr = descrM[2];
  const fortM = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  if (!fortM) throw new NpyError(file, `malformed header (no 'fortran_order'): ${JSON.stringify(text.trim())}`);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeM) throw new NpyError(file, `malformed header (no 'shape'): ${JSON.stringify(text.trim())}`);
  const parts = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = parts.map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(v) || v < 0) throw new NpyError(file, `malformed shape '(${shapeM[1]})'`);
    return v;
  });
  return { descr, fortran: fortM[1] === 'True', shape };
}

/** Bytes before the header dict: magic, version, header length. Returns where the dict starts and its length. */
function preamble(file: string, pre: Uint8Array, available: number): { major: number; minor: number; start: number; headerLen: number } {
  if (available < 10 || !Buffer.from(pre.buffer, pre.byteOffset, 6).equals(MAGIC)) {
    throw new NpyError(file, 'not an .npy file (missing \\x93NUMPY magic)');
  }
  const view = new DataView(pre.buffer, pre.byteOffset, Math.min(pre.byteLength, 12));
  const major = pre[6];
  const minor = pre[7];
  if (major === 1) return { major, minor, start: 10, headerLen: view.getUint16(8, true) };
  if (major === 2 || major === 3) {
    if (available < 12) throw new NpyError(file, 'truncated header');
    return { major, minor, start: 12, headerLen: view.getUint32(8, true) };
  }
  throw new NpyError(file, `unsupported .npy format version ${major}.${minor}`);
}

/** Check the header dict `text` (found after the preamble) of a file of `fileSize` bytes. */
function headerFrom(file: string, major: number, minor: number, start: number, headerLen: number, text: string, fileSize: number): NpyHeader {
  const { descr, fortran, shape } = parseHeaderDict(file, text);
  if (descr === '|O' || descr === 'O' || descr.endsWith('O')) {
    throw new NpyError(file, 'object arrays (pickled Python objects) cannot be read; re-save with a numeric or string dtype');
  }
  const order = descr[0];
  const body = '<>|='.includes(order) ? descr.slice(1) : descr;
  const littleEndian = order !== '>';
  const dtype = (body === '?' ? 'b1' : body) as NpyDtype;
  const itemSize = itemSizeOf(file, dtype);
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw new NpyError(file, `Fortran-order arrays are not supported (shape (${shape.join(', ')})); re-save with np.ascontiguousarray`);
  }
  const numRows = shape.length === 0 ? 1 : shape[0];
  const rowElements = shape.slice(1).reduce((a, b) => a * b, 1);
  const dataOffset = start + headerLen;
  const need = dataOffset + numRows * rowElements * itemSize;
  if (fileSize < need) {
    throw new NpyError(file, `truncated data: shape (${shape.join(', ')}) of ${descr} needs ${need} bytes, file has ${fileSize}`);
  }
  return {
    path: file, version: [major, minor], descr, dtype, littleEndian, shape, itemSize, dataOffset,
    rowElements, rowBytes: rowElements * itemSize, numRows, fileSize,
  };
}

function headerText(major: number, bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(major === 3 ? 'utf8' : 'latin1');
}

/** Read and check the header of an .npy file given an open descriptor. */
function readHeaderFd(fd: number, file: string): NpyHeader {
  const fileSize = fs.fstatSync(fd).size;
  const pre = Buffer.alloc(12);
  const got = fs.readSync(fd, pre, 0, 12, 0);
  const { major, minor, start, headerLen } = preamble(file, pre, got);
  if (start + headerLen > fileSize) throw new NpyError(file, `truncated header (needs ${start + headerLen} bytes, file has ${fileSize})`);
  const hb = Buffer.alloc(headerLen);
  fs.readSync(fd, hb, 0, headerLen, start);
  return headerFrom(file, major, minor, start, headerLen, headerText(major, hb), fileSize);
}

/** Parse the header of in-memory .npy bytes (e.g. an .npz entry); `where` names the source in errors. */
export function parseNpyHeader(bytes: Uint8Array, where: string): NpyHeader {
  const { major, minor, start, headerLen } = preamble(where, bytes, bytes.byteLength);
  if (start + headerLen > bytes.byteLength) throw new NpyError(where, `truncated header (needs ${start + headerLen} bytes, file has ${bytes.byteLength})`);
  return headerFrom(where, major, minor, start, headerLen, headerText(major, bytes.subarray(start, start + headerLen)), bytes.byteLength);
}

/**
 * Decode a whole in-memory .npy file (the same rules and errors as `readNpy`).
 * @throws NpyError naming `where`.
 */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const h = parseNpyHeader(bytes, where);
  const n = h.numRows * h.rowBytes;
  const ab = new ArrayBuffer(n); // a fresh, aligned copy (typed arrays need element alignment)
  new Uint8Array(ab).set(bytes.subarray(h.dataOffset, h.dataOffset + n));
  return { data: decodeNpyBytes(h, ab), shape: h.shape, dtype: h.dtype, fortranOrder: false };
}

/** Read only the header of `path` (shape, dtype, data offset). Throws NpyError on bad input. */
export function readNpyHeader(path: string): NpyHeader {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new NpyError(path, `cannot open: ${(e as Error).message}`);
  }
  try {
    return readHeaderFd(fd, path);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read `length` bytes at `position` into a fresh, aligned ArrayBuffer. */
function readBytes(fd: number, file: string, position: number, length: number): ArrayBuffer {
  const ab = new ArrayBuffer(length);
  const view = new Uint8Array(ab);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, view, done, Math.min(MAX_READ, length - done), position + done);
    if (n === 0) throw new NpyError(file, `truncated data at byte ${position + done}`);
    done += n;
  }
  return ab;
}

function swapBytes(ab: ArrayBuffer, size: number): void {
  if (size === 1) return;
  const b = new Uint8Array(ab);
  for (let i = 0; i < b.length; i += size) {
    for (let j = 0; j < size / 2; j++) {
      const t = b[i + j];
      b[i + j] = b[i + size - 1 - j];
      b[i + size - 1 - j] = t;
    }
  }
}

const utf8 = new TextDecoder('utf-8');

/** Turn raw bytes (C order, file byte order) into the typed array / string list for `header.dtype`. */
export function decodeNpyBytes(h: NpyHeader, ab: ArrayBuffer): NpyData {
  const kind = h.dtype[0];
  const n = Number(h.dtype.slice(1));
  if (kind === 'U') {
    if (!h.littleEndian) swapBytes(ab, 4);
    const cps = new Uint32Array(ab);
    const count = cps.length / n;
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      let end = (i + 1) * n;
      while (end > i * n && cps[end - 1] === 0) end--; // numpy strips trailing NULs
      out[i] = String.fromCodePoint(...cps.subarray(i * n, end));
    }
    return out;
  }
  if (kind === 'S') {
    const bytes = new Uint8Array(ab);
    const count = n === 0 ? 0 : bytes.length / n;
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) {
      let end = (i + 1) * n;
      while (end > i * n && bytes[end - 1] === 0) end--;
      out[i] = utf8.decode(bytes.subarray(i * n, end));
    }
    return out;
  }
  if (!h.littleEndian) swapBytes(ab, h.itemSize);
  switch (h.dtype) {
    case 'f2': {
      const u16 = new Uint16Array(ab);
      const f32 = new Float32Array(u16.length);
      for (let i = 0; i < u16.length; i++) f32[i] = float16ToFloat32(u16[i]);
      return f32;
    }
    case 'f4': return new Float32Array(ab);
    case 'f8': return new Float64Array(ab);
    case 'i1': return new Int8Array(ab);
    case 'i2': return new Int16Array(ab);
    case 'i4': return new Int32Array(ab);
    case 'i8': return new BigInt64Array(ab);
    case 'u1': case 'b1': return new Uint8Array(ab);
    case 'u2': return new Uint16Array(ab);
    case 'u4': return new Uint32Array(ab);
    case 'u8': return new BigUint64Array(ab);
    default: throw new NpyError(h.path, `unsupported dtype '${h.descr}'`);
  }
}

/**
 * Read a whole .npy file synchronously.
 * @throws NpyError naming the file for Fortran order, truncation, unknown dtypes and object arrays.
 */
export function readNpy(path: string): NpyArray {
  const f = new NpyFile(path);
  try {
    return f.readRows(0, f.header.numRows, true);
  } finally {
    f.close();
  }
}

/** Read rows [start, end) of the first axis with one positioned read (the rest of the file is not touched). */
export function readNpyRows(path: string, start: number, end: number): NpyArray {
  const f = new NpyFile(path);
  try {
    return f.readRows(start, end);
  } finally {
    f.close();
  }
}

/**
 * An open .npy file for repeated positioned reads (keeps the descriptor; call `close()`).
 * `readRows(a, b)` reads a contiguous range, `readRowsAt(idx)` gathers arbitrary rows.
 */
export class NpyFile {
  readonly header: NpyHeader;
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, 'r');
    } catch (e) {
      throw new NpyError(path, `cannot open: ${(e as Error).message}`);
    }
    try {
      this.header = readHeaderFd(this.fd, path);
    } catch (e) {
      fs.closeSync(this.fd);
      this.fd = null;
      throw e;
    }
  }

  /** Rows along axis 0. */
  get length(): number {
    return this.header.numRows;
  }

  private checkRange(start: number, end: number): void {
    const n = this.header.numRows;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
      throw new NpyError(this.path, `row range [${start}, ${end}) outside [0, ${n})`);
    }
  }

  /** Raw bytes of rows [start, end) (C order, file byte order). */
  readRowBytes(start: number, end: number): ArrayBuffer {
    if (this.fd === null) throw new NpyError(this.path, 'file is closed');
    this.checkRange(start, end);
    const h = this.header;
    return readBytes(this.fd, this.path, h.dataOffset + start * h.rowBytes, (end - start) * h.rowBytes);
  }

  /** Rows [start, end) decoded; shape [end - start, ...shape[1:]]. `whole` keeps a 0-d shape. */
  readRows(start: number, end: number, whole = false): NpyArray {
    const h = this.header;
    const data = decodeNpyBytes(h, this.readRowBytes(start, end));
    const shape = whole ? h.shape.slice() : [end - start, ...h.shape.slice(1)];
    return { data, shape, dtype: h.dtype, fortranOrder: false };
  }

  /**
   * Gather arbitrary rows (any order, repeats allowed) into one array of shape [idx.length, ...].
   * Consecutive runs are read with one call each.
   */
  readRowsAt(idx: ArrayLike<number>): NpyArray {
    if (this.fd === null) throw new NpyError(this.path, 'file is closed');
    const h = this.header;
    const out = new ArrayBuffer(idx.length * h.rowBytes);
    const view = new Uint8Array(out);
    for (const { at, row, count } of this.rowRuns(idx)) {
      let done = 0;
      const len = count * h.rowBytes;
      while (done < len) {
        const n = fs.readSync(this.fd, view, at * h.rowBytes + done, Math.min(MAX_READ, len - done), h.dataOffset + row * h.rowBytes + done);
        if (n === 0) throw new NpyError(this.path, `truncated data reading row ${row}`);
        done += n;
      }
    }
    return { data: decodeNpyBytes(h, out), shape: [idx.length, ...h.shape.slice(1)], dtype: h.dtype, fortranOrder: false };
  }

  /**
   * Raw bytes of arbitrary rows, read on the libuv thread pool (so a prefetch overlaps compute).
   * Consecutive runs are read with one call each. Result: `idx.length * rowBytes` bytes in `idx` order.
   */
  async readRowBytesAtAsync(idx: ArrayLike<number>): Promise<ArrayBuffer> {
    if (this.fd === null) throw new NpyError(this.path, 'file is closed');
    const fd = this.fd;
    const h = this.header;
    const out = new ArrayBuffer(idx.length * h.rowBytes);
    const view = new Uint8Array(out);
    const jobs: Promise<void>[] = [];
    for (const { at, row, count } of this.rowRuns(idx)) {
      const dst = at * h.rowBytes;
      const len = count * h.rowBytes;
      const src = h.dataOffset + row * h.rowBytes;
      jobs.push((async () => {
        let done = 0;
        while (done < len) {
          const n = await new Promise<number>((res, rej) =>
            fs.read(fd, view, dst + done, Math.min(MAX_READ, len - done), src + done, (err, got) => (err ? rej(err) : res(got))));
          if (n === 0) throw new NpyError(this.path, `truncated data reading row ${row}`);
          done += n;
        }
      })());
    }
    await Promise.all(jobs);
    return out;
  }

  /**
   * The runs of consecutive row numbers in `idx` (range-checked): `count` rows starting at file row `row`,
   * going to position `at` of the output. Each run is read with one call.
   */
  private *rowRuns(idx: ArrayLike<number>): Generator<{ at: number; row: number; count: number }> {
    let i = 0;
    while (i < idx.length) {
      let j = i + 1;
      while (j < idx.length && idx[j] === idx[j - 1] + 1) j++;
      this.checkRange(idx[i], idx[i] + (j - i));
      yield { at: i, row: idx[i], count: j - i };
      i = j;
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Convert an integer array to Int32Array (int64 fixture inputs → int32 for tfjs).
 * @throws if a value does not fit in int32.
 */
export function toInt32(arr: NpyData | ArrayLike<number | bigint>, what = 'array'): Int32Array {
  if (arr instanceof Int32Array) return arr;
  if (Array.isArray(arr) && typeof arr[0] === 'string') throw new Error(`toInt32(${what}): string array`);
  const src = arr as ArrayLike<number | bigint>;
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = Number(src[i]);
    if (!Number.isInteger(v) || v > 2147483647 || v < -2147483648) {
      throw new Error(`toInt32(${what}): element ${i} = ${String(src[i])} does not fit in int32`);
    }
    out[i] = v;
  }
  return out;
}
