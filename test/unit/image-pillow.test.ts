// The Pillow 9.4-compatible loader (src/data/images) against Pillow's own answers:
// test/fixtures/pillow-images (made by make_pillow_images.py with python3-pil 9.4) and, through
// `npx drin image`, ../shared/cases/images. Every loaded file must be within 1 of Pillow's array in
// every channel, with Pillow's format, mode and size; every default must stay default with its reason.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { loadImageFile, loadImageBase } from '../../src/data/images/load';
import { openImage } from '../../src/data/images/open';
import { PILLOW_BOMB_ERROR_PIXELS } from '../../src/data/images/types';
import { checkImageFile } from '../../src/data/raw/images';
import { loadImageRGB } from '../../src/encode/images';
import { readNpy } from '../../src/data/npy';
import { needsShared, SHARED_DIR } from '../helpers/needs';

const FIX = path.join(__dirname, '..', 'fixtures', 'pillow-images');
const CASES = path.join(SHARED_DIR, 'cases', 'images');
const REPO = path.join(__dirname, '..', '..');

interface Expected { file: string; reference: 'loaded' | 'DEFAULT image'; format?: string; mode?: string; size?: [number, number]; reason?: string; why?: string }
const readExpected = (dir: string): Expected[] => fs.readFileSync(path.join(dir, 'expected.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** Files Pillow loads that this port sends to the default image on purpose, with the reason it gives. */
const KNOWN_DEVIATIONS: Record<string, string> = {
  'jp2_rgba_lossy.jp2': 'unsupported', // 4 components, 9/7 wavelet: OpenJPEG wasm fails, pdf.js' decoder is not exact
};

function maxChannelDiff(got: Uint8Array, want: Uint8Array): number {
  assert.equal(got.length, want.length, 'array sizes differ');
  let m = 0;
  for (let i = 0; i < got.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m;
}

test('every fixture kind gives what Pillow 9.4 gives (array within 1, format, mode, size; defaults with their reason)', async () => {
  const rows = readExpected(FIX);
  assert.ok(rows.length >= 70, `expected.jsonl lists ${rows.length} files`);
  const failures: string[] = [];
  for (const e of rows) {
    const r = await loadImageFile(path.join(FIX, e.file));
    if (KNOWN_DEVIATIONS[e.file]) {
      if (r.status !== KNOWN_DEVIATIONS[e.file]) failures.push(`${e.file}: known deviation should give ${KNOWN_DEVIATIONS[e.file]}, got ${r.status}`);
      continue;
    }
    if (e.reference === 'loaded') {
      if (r.status !== 'ok') { failures.push(`${e.file}: Pillow loads it (${e.mode}), we give default ${r.status}: ${r.error}`); continue; }
      const want = readNpy(path.join(FIX, `${e.file}.pil.npy`));
      assert.deepEqual(want.shape, [e.size![1], e.size![0], 3]);
      const d = maxChannelDiff(r.image.data, want.data as Uint8Array);
      if (d > 1) failures.push(`${e.file}: max channel difference ${d}`);
      if (r.image.format !== e.format || r.image.mode !== e.mode || r.image.width !== e.size![0] || r.image.height !== e.size![1]) {
        failures.push(`${e.file}: ${r.image.format} ${r.image.mode} ${r.image.width}x${r.image.height}, Pillow ${e.format} ${e.mode} ${e.size!.join('x')}`);
      }
    } else if (r.status !== e.reason) {
      failures.push(`${e.file}: Pillow gives the default image (${e.reason}: ${e.why}), we give ${r.status}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('content decides the format, not the name: a BMP named .jpg loads, an SVG is not an image', async () => {
  const bmp = await loadImageFile(path.join(FIX, 'bmp_named.jpg'));
  assert.equal(bmp.status, 'ok');
  assert.equal(bmp.status === 'ok' && bmp.image.format, 'BMP');
  const svg = await loadImageFile(path.join(FIX, 'not_an_image.svg'));
  assert.equal(svg.status, 'corrupt');
  assert.match(svg.status !== 'ok' ? svg.error : '', /cannot identify image file/);
});

test('decompression bomb: the header decides before any decode (no pixel memory), limit = 2 x MAX_IMAGE_PIXELS', async () => {
  assert.equal(PILLOW_BOMB_ERROR_PIXELS, 178_956_970);
  const file = path.join(FIX, 'bomb_13400.png');
  const o = await openImage(new Uint8Array(fs.readFileSync(file))).catch((e) => e);
  assert.equal(o.reason, 'tooLarge');
  assert.match(o.message, /179560000 pixels\) exceeds limit of 178956970/);
  // just under the limit opens (header only: decode is never called here)
  const ok = Buffer.from(fs.readFileSync(file));
  ok.writeUInt32BE(13377, 16); ok.writeUInt32BE(13377, 20); // 178,944,129 pixels
  ok.writeUInt32BE(zlib.crc32(ok.subarray(12, 29)), 29); // the IHDR CRC (Pillow checks it at open)
  const opened = await openImage(new Uint8Array(ok));
  assert.deepEqual([opened.header.width, opened.header.height, opened.header.mode], [13377, 13377, '1']);
});

test('prepare and encode use the same loader: same verdicts, same pixels, reasons named as prepare counts them', async () => {
  for (const [file, status] of [['bmp_named.jpg', 'ok'], ['png_grey16.png', 'ok'], ['not_an_image.svg', 'corrupt'], ['small_40x40.png', 'small'], ['bomb_13400.png', 'tooLarge'], ['jp2_rgba_lossy.jp2', 'unsupported'], ['absent.png', 'missing']] as const) {
    assert.equal(await checkImageFile(path.join(FIX, file)), status, file);
    const enc = await loadImageRGB(path.join(FIX, file));
    assert.equal(enc.defaulted, status === 'ok' ? undefined : status, file);
  }
  const enc = await loadImageRGB(path.join(FIX, 'jpeg_cmyk_adobe.jpg'));
  const want = readNpy(path.join(FIX, 'jpeg_cmyk_adobe.jpg.pil.npy')).data as Uint8Array;
  assert.ok(maxChannelDiff(enc.data, want) <= 1);
  // the reference's suffix trial: base path without extension finds the .png, a failure there is final
  const viaBase = await loadImageBase(path.join(FIX, 'png_rgba'));
  assert.equal(viaBase.status, 'ok');
  assert.equal(viaBase.file, path.join(FIX, 'png_rgba.png'));
});

test('npx drin image over ../shared/cases/images matches expected.jsonl and the .pil.npy arrays', { skip: needsShared('cases/images/expected.jsonl') }, () => {
  const rows = readExpected(CASES);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-image-'));
  try {
    const files = rows.map((e) => path.join(CASES, e.file));
    const stdout = execFileSync(process.execPath, [path.join(REPO, 'bin', 'drin.js'), 'image', ...files, '--out', out, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const got = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(got.length, rows.length);
    rows.forEach((e, i) => {
      const v = got[i];
      assert.equal(v.file, files[i]);
      if (e.reference === 'loaded') {
        assert.equal(v.result, 'loaded', `${e.file}: ${v.reason} ${v.error}`);
        assert.deepEqual([v.mode, v.size], [e.mode, e.size], e.file);
        const arr = readNpy(path.join(out, `${e.file}.npy`));
        assert.deepEqual(arr.shape, [e.size![1], e.size![0], 3]);
        const d = maxChannelDiff(arr.data as Uint8Array, readNpy(path.join(CASES, `${e.file}.pil.npy`)).data as Uint8Array);
        assert.ok(d <= 1, `${e.file}: max channel difference ${d}`);
      } else {
        assert.equal(v.result, 'default', e.file);
        const want = /DecompressionBombError/.test(e.why ?? '') ? 'tooLarge' : /too small/.test(e.why ?? '') ? 'small' : 'corrupt';
        assert.equal(v.reason, e.reason ?? want, e.file);
        assert.equal(v.count, `mentionImage${v.reason.charAt(0).toUpperCase()}${v.reason.slice(1)}`, e.file);
        if (v.reason === 'tooLarge') assert.deepEqual(v.size, [14000, 14000], 'the header size is reported, nothing decoded');
        assert.ok(!fs.existsSync(path.join(out, `${e.file}.npy`)), `${e.file}: no array for a default image`);
      }
    });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
