import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as npyjsParse } from 'npyjs';
import {
  readNpy, readNpyRows, readNpyHeader, writeNpy, NpyWriter, NpyFile, toInt32, NpyError, parseNpy, encodeNpy,
} from '../../src/data/npy';
import { needs } from '../helpers/needs';
import { parseNpyTensor, readNpyTensor, tensorToNpy } from '../../src/data/npy-tensor';

const FIX = path.resolve(__dirname, '../../../shared/fixtures/preprocessed');
const haveShared = fs.existsSync(FIX);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-npy-'));

/** Hand-made .npy: header dict text, version, raw data bytes. */
function makeNpy(name: string, dict: string, data: Uint8Array, version: 1 | 2 = 1, pad: 'space' | 'newline' = 'space'): string {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const h = Buffer.alloc(total, pad === 'space' ? 0x20 : 0x0a);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(h, 0);
  if (version === 1) h.writeUInt16LE(total - pre, 8);
  else h.writeUInt32LE(total - pre, 8);
  Buffer.from(dict, 'latin1').copy(h, pre);
  h[total - 1] = 0x0a;
  const p = path.join(tmp, name);
  fs.writeFileSync(p, Buffer.concat([h, Buffer.from(data)]));
  return p;
}

test('fixtures: 128-byte newline-padded headers, int64 and <U strings', { skip: needs(haveShared, '../shared absent: fixtures/preprocessed not found') }, () => {
  const score = readNpy(path.join(FIX, 'wikimel/entity-object-score_all.npy'));
  assert.equal(readNpyHeader(path.join(FIX, 'wikimel/entity-object-score_all.npy')).dataOffset, 128);
  assert.deepEqual(score.shape, [30, 1]);
  assert.equal(score.dtype, 'f4');
  assert.ok(Math.abs((score.data as Float32Array)[0] - 0.4824023) < 1e-6);
  assert.ok(Math.abs((score.data as Float32Array)[1] - 0.928575) < 1e-6);

  const ans = readNpy(path.join(FIX, 'wikimel/answer_train.npy'));
  assert.ok(ans.data instanceof BigInt64Array);
  assert.deepEqual(Array.from(toInt32(ans.data)), [100, 95, 20, 44]);

  const q = readNpy(path.join(FIX, 'wikimel/entity-name-raw_train.npy'));
  assert.equal(q.dtype, 'U7');
  assert.deepEqual(q.shape, [404]);
  assert.deepEqual((q.data as string[]).slice(0, 3), ['Q558218', 'Q305700', 'Q558218']);
  const attr = readNpy(path.join(FIX, 'wikidiverse/entity-attr-raw_train.npy')).data as string[];
  assert.ok(attr[0].startsWith('Zoë Saldaña: club river'));
  assert.equal(attr[0], 'Zoë Saldaña: club river by club was which which a');
  assert.equal((readNpy(path.join(FIX, 'wikimel/mention-text-raw_valid.npy')).data as string[])[0], 'to he is which which 北京 for is on his');

  const f = readNpyRows(path.join(FIX, 'wikimel/entity-attr-feature.npy'), 3, 5);
  assert.deepEqual(f.shape, [2, 64, 768]);
  assert.deepEqual(Array.from((f.data as Float32Array).subarray(2 * 768, 2 * 768 + 3)), [-0.75, -0.75, -1]);
  // agrees with npyjs on a file npyjs can parse
  const buf = fs.readFileSync(path.join(FIX, 'wikimel/similarity-miet_train.npy'));
  const ref = npyjsParse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  assert.deepEqual(Array.from(readNpy(path.join(FIX, 'wikimel/similarity-miet_train.npy')).data as Float32Array), Array.from(ref.data as Float32Array));
});

test('our writers reproduce the fixture header bytes exactly (numpy style and 128-byte streaming style)', { skip: needs(haveShared, '../shared absent: fixtures/preprocessed not found') }, () => {
  const p1 = path.join(tmp, 'ans.npy');
  writeNpy(p1, { data: new BigInt64Array(3), shape: [3] });
  assert.deepEqual(fs.readFileSync(p1).subarray(0, 128), fs.readFileSync(path.join(FIX, 'wikimel/answer_test.npy')).subarray(0, 128));
  const p2 = path.join(tmp, 'score.npy');
  const w = new NpyWriter(p2, { dtype: 'f4', rowShape: [1], header: 'fixed128' });
  for (let i = 0; i < 3; i++) w.append(new Float32Array(10).fill(i));
  w.close();
  assert.deepEqual(fs.readFileSync(p2).subarray(0, 128), fs.readFileSync(path.join(FIX, 'wikimel/entity-object-score_all.npy')).subarray(0, 128));
  assert.deepEqual(readNpy(p2).shape, [30, 1]);
  assert.equal((readNpy(p2).data as Float32Array)[25], 2);
});

test('whole-array write/read round trip for every dtype', () => {
  const cases: Array<[string, any, any]> = [
    ['f4', new Float32Array([1.5, -2, 3.25, 0]), [2, 2]],
    ['f8', new Float64Array([Math.PI, -1e300]), [2]],
    ['i1', new Int8Array([-128, 127]), [2]],
    ['i2', new Int16Array([-300, 300]), [2]],
    ['i4', new Int32Array([-5, 7, 9]), [3]],
    ['i8', new BigInt64Array([-(2n ** 40n), 5n]), [2]],
    ['u1', new Uint8Array([0, 255]), [2]],
    ['u2', new Uint16Array([65535, 1]), [2]],
    ['u4', new Uint32Array([4294967295, 2]), [2]],
    ['U5', ['héllo', 'a𝄞b', ''], [3]],
    ['S3', ['ab', 'xyz'], [2]],
  ];
  for (const [dtype, data, shape] of cases) {
    const p = path.join(tmp, `rt-${dtype}.npy`);
    writeNpy(p, { data, shape, dtype: dtype as any });
    const back = readNpy(p);
    assert.equal(back.dtype, dtype);
    assert.deepEqual(back.shape, shape);
    assert.deepEqual(Array.from(back.data as any), Array.from(data), dtype);
    assert.equal(readNpyHeader(p).dataOffset % 64, 0);
    assert.deepEqual(fs.readFileSync(p), numpyBytes(dtype, data, shape), `${dtype}: the file numpy.save writes`);
  }
});

/**
 * What numpy.save writes (format 1.0, written out here from the format spec, independently of src/data/npy):
 * magic, version, header length, the header dict padded with spaces to a multiple of 64 bytes and
 * ending in '\n', then the little-endian data (<U: UTF-32LE code points, |S: bytes, both zero-padded).
 */
function numpyBytes(dtype: string, data: ArrayLike<unknown> & Iterable<unknown>, shape: number[]): Buffer {
  const descr = (dtype === 'i1' || dtype === 'u1' || dtype.startsWith('S') ? '|' : '<') + dtype; // byte order only where it matters
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header, 0);
  header.writeUInt16LE(total - 10, 8);
  header.write(dict, 10, 'latin1');
  header[total - 1] = 0x0a;
  let body: Buffer;
  if (dtype.startsWith('U') || dtype.startsWith('S')) {
    const n = Number(dtype.slice(1));
    const width = dtype.startsWith('U') ? 4 : 1;
    body = Buffer.alloc((data as string[]).length * n * width);
    (data as string[]).forEach((str, i) => [...str].forEach((ch, j) => {
      if (width === 4) body.writeUInt32LE(ch.codePointAt(0)!, (i * n + j) * 4);
      else body[i * n + j] = ch.charCodeAt(0);
    }));
  } else {
    const t = data as unknown as ArrayBufferView;
    body = Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  }
  return Buffer.concat([header, body]);
}

test('f16, bool, big-endian, version-2 and newline-padded headers read correctly', () => {
  const f16 = new Uint16Array([0x3e00, 0xc000, 0x3400, 0x7bff]); // 1.5, -2, 0.25, 65504
  const a = readNpy(makeNpy('f16.npy', "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", new Uint8Array(f16.buffer)));
  assert.deepEqual(Array.from(a.data as Float32Array), [1.5, -2, 0.25, 65504]);
  const b = readNpy(makeNpy('b.npy', "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([1, 0, 1])));
  assert.equal(b.dtype, 'b1');
  assert.deepEqual(Array.from(b.data as Uint8Array), [1, 0, 1]);
  const be = readNpy(makeNpy('be.npy', "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0, 0, 1, 44, 255, 255, 255, 255])));
  assert.deepEqual(Array.from(be.data as Int32Array), [300, -1]);
  const v2 = readNpy(makeNpy('v2.npy', "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(new Int16Array([0, 1, 2, 3, 4, 5]).buffer), 2));
  assert.deepEqual(v2.shape, [2, 3]);
  assert.deepEqual(Array.from(v2.data as Int16Array), [0, 1, 2, 3, 4, 5]);
  const nl = readNpy(makeNpy('nl.npy', "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1)}", new Uint8Array(new Float32Array([7, 8]).buffer), 1, 'newline'));
  assert.deepEqual(Array.from(nl.data as Float32Array), [7, 8]);
});

test('row-range reads and gathers touch only the rows asked for', () => {
  const p = path.join(tmp, 'rows.npy');
  const data = Float32Array.from({ length: 5 * 3 }, (_, i) => i);
  writeNpy(p, { data, shape: [5, 3] });
  assert.deepEqual(Array.from(readNpyRows(p, 1, 3).data as Float32Array), [3, 4, 5, 6, 7, 8]);
  assert.deepEqual(readNpyRows(p, 2, 2).shape, [0, 3]);
  const f = new NpyFile(p);
  assert.deepEqual(Array.from(f.readRowsAt([4, 0, 1, 1]).data as Float32Array), [12, 13, 14, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
  assert.throws(() => f.readRows(3, 6), /rows\.npy: row range \[3, 6\) outside \[0, 5\)/);
  f.close();
});

test('streaming writer: rows appended in pieces, numpy-style header fixed at close', () => {
  const p = path.join(tmp, 'stream.npy');
  const w = new NpyWriter(p, { dtype: 'i8', rowShape: [2] });
  w.append([1, 2, 3, 4]);
  w.append(new BigInt64Array([5n, 6n]));
  assert.ok(!fs.existsSync(p), 'file appears only at close');
  assert.throws(() => w.append([1, 2, 3]), /not a multiple of the row size 2/);
  w.close();
  const r = readNpy(p);
  assert.deepEqual(r.shape, [3, 2]);
  assert.deepEqual(Array.from(toInt32(r.data)), [1, 2, 3, 4, 5, 6]);
});

test('bad inputs: errors name the file and what is wrong', () => {
  const good = path.join(tmp, 'good.npy');
  writeNpy(good, { data: new Float32Array(12), shape: [3, 4] });
  const bytes = fs.readFileSync(good);
  const trunc = path.join(tmp, 'trunc.npy');
  fs.writeFileSync(trunc, bytes.subarray(0, bytes.length - 5));
  assert.throws(() => readNpy(trunc), (e: Error) => e instanceof NpyError && e.message.includes('trunc.npy') && /truncated data: shape \(3, 4\) of <f4 needs 176 bytes, file has 171/.test(e.message));
  const fort = makeNpy('fortran.npy', "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(48));
  assert.throws(() => readNpy(fort), /fortran\.npy: Fortran-order arrays are not supported/);
  const obj = makeNpy('object.npy', "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16));
  assert.throws(() => readNpy(obj), /object\.npy: object arrays/);
  const cplx = makeNpy('complex.npy', "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16));
  assert.throws(() => readNpy(cplx), /complex\.npy: unsupported dtype 'c8'/);
  const notnpy = path.join(tmp, 'not.npy');
  fs.writeFileSync(notnpy, 'hello world, not numpy');
  assert.throws(() => readNpy(notnpy), /not\.npy: not an \.npy file/);
  assert.throws(() => readNpy(path.join(tmp, 'missing.npy')), /missing\.npy: cannot open/);
  assert.throws(() => toInt32(new BigInt64Array([2n ** 40n]), 'x.npy'), /x\.npy\): element 0 = 1099511627776 does not fit in int32/);
});

test('in-memory .npy and tensors: parseNpy = readNpy, encodeNpy = writeNpy, int64 → int32 checked, strings rejected', () => {
  const f = path.join(tmp, 'mem.npy');
  writeNpy(f, { data: new Float64Array([1.5, -2, 3.25, 4, 5, 6]), shape: [2, 3] });
  const bytes = fs.readFileSync(f);
  assert.deepEqual(parseNpy(bytes, 'mem'), readNpy(f));
  assert.deepEqual(Buffer.from(encodeNpy({ data: new Float64Array([1.5, -2, 3.25, 4, 5, 6]), shape: [2, 3] })), bytes);
  // an unaligned view (as an .npz entry is) decodes the same
  const shifted = new Uint8Array(bytes.length + 1);
  shifted.set(bytes, 1);
  assert.deepEqual(parseNpy(shifted.subarray(1), 'shifted').data, readNpy(f).data);
  assert.throws(() => parseNpy(bytes.subarray(0, bytes.length - 8), 'cut.npy'), /cut\.npy: truncated data/);
  // tensors: f8 → float32, i8 → int32 (checked), strings → error
  const t = readNpyTensor(f);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.shape, [2, 3]);
  assert.deepEqual(Array.from(t.dataSync()), [1.5, -2, 3.25, 4, 5, 6]);
  const i8 = encodeNpy({ data: new BigInt64Array([3n, -1n, 7n]), shape: [3] });
  const ti = parseNpyTensor(i8, 'i8.npy');
  assert.equal(ti.dtype, 'int32');
  assert.deepEqual(Array.from(ti.dataSync()), [3, -1, 7]);
  assert.throws(() => parseNpyTensor(encodeNpy({ data: new BigInt64Array([2n ** 33n]), shape: [1] }), 'big.npy'), /big\.npy\): element 0 = 8589934592 does not fit in int32/);
  assert.throws(() => parseNpyTensor(encodeNpy({ data: ['a', 'bc'], shape: [2] }), 'str.npy'), /str\.npy: string array \(U2\); expected numbers/);
  // tensor → bytes → tensor
  const back = parseNpyTensor(tensorToNpy(ti), 'back');
  assert.deepEqual(Array.from(back.dataSync()), [3, -1, 7]);
  assert.equal(back.dtype, 'int32');
});
