/**
 * Writing `.npy` files: whole arrays (`writeNpy`, `encodeNpy`) and row streams larger than memory
 * (`NpyWriter`). numpy v1 headers, spaces-padded and 64-byte aligned, or the reference's fixed
 * 128-byte newline-padded header. Imported through npy.ts.
 */
import * as fs from 'node:fs';
import { itemSizeOf, MAGIC, MAX_READ, NpyData, NpyDtype } from './npy-format';

/** Input to writeNpy / the result of reads. dtype defaults to the typed array's type (strings: U<max len>). */
export interface NpyWriteInput {
  data: NpyData | number[];
  shape: number[];
  dtype?: NpyDtype;
}

function dtypeOf(data: NpyData | number[]): NpyDtype {
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Float64Array) return 'f8';
  if (data instanceof Int8Array) return 'i1';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof BigInt64Array) return 'i8';
  if (data instanceof Uint8Array) return 'u1';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Uint32Array) return 'u4';
  if (data instanceof BigUint64Array) return 'u8';
  if (Array.isArray(data) && data.length > 0 && typeof data[0] === 'string') {
    let m = 1;
    for (const s of data as string[]) m = Math.max(m, [...s].length);
    return `U${m}`;
  }
  return 'f8'; // plain number[] (numpy's default float)
}

function descrOf(dtype: NpyDtype): string {
  if (dtype === 'b1') return '|b1';
  if (dtype[0] === 'S' || dtype === 'i1' || dtype === 'u1') return `|${dtype}`;
  return `<${dtype}`;
}

function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** numpy-style header bytes: dict padded with spaces + '\n' to a multiple of 64 (or to `total` bytes). */
function headerBytes(dtype: NpyDtype, shape: number[], opts: { total?: number; pad?: 'space' | 'newline' } = {}): Buffer {
  const dict = `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  const dictNl = opts.pad === 'newline' ? `{'descr': '${descrOf(dtype)}', 'fortran_order': False, 'shape': ${shapeText(shape)}}` : dict;
  const body = Buffer.from(dictNl, 'latin1');
  const v1 = 10 + body.length + 1 <= 65535 + 10;
  const pre = v1 ? 10 : 12;
  const total = opts.total ?? Math.ceil((pre + body.length + 1) / 64) * 64;
  if (pre + body.length + 1 > total) throw new Error(`npy header for shape ${shapeText(shape)} does not fit in ${total} bytes`);
  const out = Buffer.alloc(total, opts.pad === 'newline' ? 0x0a : 0x20);
  MAGIC.copy(out, 0);
  out[6] = v1 ? 1 : 2;
  out[7] = 0;
  if (v1) out.writeUInt16LE(total - 10, 8);
  else out.writeUInt32LE(total - 12, 8);
  body.copy(out, pre);
  out[total - 1] = 0x0a;
  return out;
}

/** Encode values as bytes of `dtype` (little endian). */
function encodeData(file: string, data: NpyData | number[], dtype: NpyDtype): Uint8Array {
  const kind = dtype[0];
  const n = Number(dtype.slice(1));
  if (kind === 'U' || kind === 'S') {
    if (!Array.isArray(data)) throw new Error(`${file}: dtype ${dtype} needs a string[]`);
    const strs = data as string[];
    const size = kind === 'U' ? 4 * n : n;
    const buf = Buffer.alloc(strs.length * size);
    strs.forEach((s, i) => {
      if (kind === 'U') {
        const cps = [...String(s)].map((c) => c.codePointAt(0)!);
        if (cps.length > n) throw new Error(`${file}: string ${i} has ${cps.length} code points, dtype ${dtype} holds ${n}`);
        cps.forEach((c, j) => buf.writeUInt32LE(c, i * size + 4 * j));
      } else {
        const b = Buffer.from(String(s), 'utf8');
        if (b.length > n) throw new Error(`${file}: string ${i} has ${b.length} bytes, dtype ${dtype} holds ${n}`);
        b.copy(buf, i * size);
      }
    });
    return buf;
  }
  const ctor: Record<string, new (x: ArrayLike<number> | ArrayLike<bigint>) => ArrayBufferView> = {
    f4: Float32Array, f8: Float64Array, i1: Int8Array, i2: Int16Array, i4: Int32Array, u1: Uint8Array,
    b1: Uint8Array, u2: Uint16Array, u4: Uint32Array,
  };
  let typed: ArrayBufferView;
  if (dtype === 'i8' || dtype === 'u8') {
    const C = dtype === 'i8' ? BigInt64Array : BigUint64Array;
    const src = data as ArrayLike<number | bigint>;
    if (data instanceof C) typed = data;
    else {
      const t = new C(src.length);
      for (let i = 0; i < src.length; i++) t[i] = BigInt(src[i]);
      typed = t;
    }
  } else if (dtype === 'f2') {
    throw new Error(`${file}: writing float16 is not supported; write f4`);
  } else {
    const C = ctor[dtype];
    if (!C) throw new Error(`${file}: unsupported dtype '${dtype}'`);
    const src = data as ArrayLike<number | bigint>;
    typed = data instanceof C ? (data as ArrayBufferView) : new C(Array.from(src, Number));
  }
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** Write a whole array as a standard numpy v1 .npy file (spaces-padded header, 64-byte aligned). */
export function writeNpy(path: string, arr: NpyWriteInput): void {
  const dtype = arr.dtype ?? dtypeOf(arr.data);
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) {
    throw new Error(`${path}: data has ${arr.data.length} elements, shape ${shapeText(arr.shape)} needs ${count}`);
  }
  const bytes = encodeData(path, arr.data, dtype);
  const fd = fs.openSync(path, 'w');
  try {
    fs.writeSync(fd, headerBytes(dtype, arr.shape));
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(MAX_READ, bytes.length - done));
  } finally {
    fs.closeSync(fd);
  }
}

/** A whole array as .npy bytes (numpy v1 header, as `writeNpy` writes), e.g. for an .npz entry. */
export function encodeNpy(arr: NpyWriteInput, where = '.npy'): Uint8Array {
  const dtype = arr.dtype ?? dtypeOf(arr.data);
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.data.length !== count) throw new Error(`${where}: data has ${arr.data.length} elements, shape ${shapeText(arr.shape)} needs ${count}`);
  const header = headerBytes(dtype, arr.shape);
  const data = encodeData(where, arr.data, dtype);
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/** Options for NpyWriter. */
export interface NpyWriterOptions {
  dtype: NpyDtype;
  /** Shape of one row (everything after axis 0); [] for a 1-D array. */
  rowShape: number[];
  /**
   * 'numpy' (default): space-padded header sized for any row count, 64-byte aligned.
   * 'fixed128': the reference streaming writer's 128-byte header padded with newlines.
   */
  header?: 'numpy' | 'fixed128';
}

/**
 * Streaming writer for arrays larger than memory: reserve the header, append rows, fix the header
 * (with the final row count) at `close()`. Writes to `<path>.partial` and renames on close, so a
 * crash never leaves a file that looks complete.
 */
export class NpyWriter {
  private fd: number;
  private rows = 0;
  private readonly rowElements: number;
  private readonly headerSize: number;
  private readonly tmp: string;
  private closed = false;

  constructor(readonly path: string, readonly opts: NpyWriterOptions) {
    this.rowElements = opts.rowShape.reduce((a, b) => a * b, 1);
    itemSizeOf(path, opts.dtype);
    // header size for the largest row count we could ever write
    this.headerSize = opts.header === 'fixed128' ? 128 : headerBytes(opts.dtype, [1e15, ...opts.rowShape]).length;
    this.tmp = `${path}.partial`;
    this.fd = fs.openSync(this.tmp, 'w');
    fs.writeSync(this.fd, Buffer.alloc(this.headerSize, 0x20));
  }

  /** Rows written so far. */
  get length(): number {
    return this.rows;
  }

  /** Append whole rows; `data.length` must be a multiple of the row size. */
  append(data: NpyData | number[]): void {
    if (this.closed) throw new Error(`${this.path}: writer already closed`);
    if (data.length % this.rowElements !== 0) {
      throw new Error(`${this.path}: appended ${data.length} elements, not a multiple of the row size ${this.rowElements} (row shape ${shapeText(this.opts.rowShape)})`);
    }
    const bytes = encodeData(this.path, data, this.opts.dtype);
    let done = 0;
    while (done < bytes.length) done += fs.writeSync(this.fd, bytes, done, Math.min(MAX_READ, bytes.length - done));
    this.rows += data.length / this.rowElements;
  }

  /** Write the final header and move the file into place. */
  close(): void {
    if (this.closed) return;
    const shape = [this.rows, ...this.opts.rowShape];
    const hb = this.opts.header === 'fixed128'
      ? headerBytes(this.opts.dtype, shape, { total: 128, pad: 'newline' })
      : headerBytes(this.opts.dtype, shape, { total: this.headerSize });
    fs.writeSync(this.fd, hb, 0, hb.length, 0);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.path);
    this.closed = true;
  }

  /** Drop the partial output. */
  abort(): void {
    if (this.closed) return;
    fs.closeSync(this.fd);
    fs.rmSync(this.tmp, { force: true });
    this.closed = true;
  }
}
