/**
 * Drill-down thumbnails decode through the project's one image loader (src/data/images, Pillow 9.4
 * semantics), so a thumbnail shows the pixels the encoders saw: no EXIF rotation, every format the
 * loader reads, and the loader's default-image verdicts reported (never a crash, never silent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { imageThumbnailDataUri, type ThumbnailResult } from '../../src/viz/thumbs';
import { drilldownHtml } from '../../src/viz/drilldown';
import type { DrilldownData } from '../../src/analysis/drilldown';

const FIX = path.join(__dirname, '..', 'fixtures', 'pillow-images');

/** The thumbnail's RGB pixels (H×W×3) and size. */
async function pixels(t: ThumbnailResult): Promise<{ data: Buffer; width: number; height: number }> {
  const png = Buffer.from(t.uri.replace(/^data:image\/png;base64,/, ''), 'base64');
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
const at = (p: { data: Buffer; width: number }, x: number, y: number) => [...p.data.subarray((y * p.width + x) * 3, (y * p.width + x) * 3 + 3)];
const near = (got: number[], want: number[], tol = 40) => got.every((v, i) => Math.abs(v - want[i]) <= tol);

test('thumbnail of an EXIF-rotated JPEG keeps the stored orientation (Pillow 9.4 does not rotate)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-thumb-'));
  // 80×60 stored pixels: top half red, bottom half blue; EXIF orientation 6 asks viewers to turn it 90° clockwise.
  const w = 80, h = 60;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(y < h / 2 ? [230, 20, 20] : [20, 20, 230], (y * w + x) * 3);
  const file = path.join(dir, 'rot6.jpg');
  await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(file);
  assert.equal((await sharp(file).metadata()).orientation, 6, 'the fixture carries EXIF orientation 6');
  const t = await imageThumbnailDataUri(file, 32);
  assert.equal(t.kind, 'image');
  const p = await pixels(t);
  assert.deepEqual([p.width, p.height], [32, 32]);
  // Stored orientation: red above blue. A rotating decoder would put red on the right and blue on the left.
  assert.ok(near(at(p, 16, 3), [230, 20, 20]), `top centre is red, got ${at(p, 16, 3)}`);
  assert.ok(near(at(p, 16, 28), [20, 20, 230]), `bottom centre is blue, got ${at(p, 16, 28)}`);
  assert.ok(near(at(p, 3, 3), [230, 20, 20]) && near(at(p, 28, 3), [230, 20, 20]), `top row is red left and right, got ${at(p, 3, 3)} ${at(p, 28, 3)}`);
});

test('the committed EXIF fixture and formats sharp cannot read (BMP, PCX, TGA, SGI) get real thumbnails', async () => {
  for (const name of ['jpeg_exif_rot6.jpg', 'bmp_rgb.bmp', 'pcx_rgb.pcx', 'tga_rgb.tga', 'sgi_rgb.sgi', 'ppm_p6.ppm']) {
    const t = await imageThumbnailDataUri(path.join(FIX, name), 24);
    assert.equal(t.kind, 'image', `${name}: ${t.reason}`);
    assert.equal(t.reason, undefined);
    const p = await pixels(t);
    assert.deepEqual([p.width, p.height], [24, 24], name);
    // The fixtures are one picture (mean RGB ≈ 133, 136, 135 in Pillow); the thumbnail's mean is close to it.
    const mean = [0, 1, 2].map((c) => { let s = 0; for (let i = c; i < p.data.length; i += 3) s += p.data[i]; return s / (p.data.length / 3); });
    assert.ok(mean.every((m, c) => Math.abs(m - [132.9, 136.2, 134.9][c]) < 12), `${name}: mean ${mean.map((m) => m.toFixed(1))}`);
  }
});

test('files the loader turns into the default image give a labelled placeholder and a reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-thumb-'));
  const psd = path.join(dir, 'layers.psd');
  fs.writeFileSync(psd, Buffer.concat([Buffer.from('8BPS'), Buffer.alloc(60)]));
  const cases: Array<[string, string, RegExp]> = [
    [psd, 'unsupported', /layers\.psd: .*PSD.* \[unsupported\]$/],
    [path.join(FIX, 'small_40x40.png'), 'small', /small_40x40\.png: Image is too small \[small\]$/],
    [path.join(FIX, 'truncated.jpg'), 'corrupt', /truncated\.jpg: .+ \[corrupt\]$/],
    [path.join(dir, 'nope.jpg'), 'missing', /nope\.jpg: file not found \[missing\]$/],
  ];
  for (const [file, status, reason] of cases) {
    const t = await imageThumbnailDataUri(file, 32);
    assert.equal(t.kind, 'unreadable', file);
    assert.equal(t.status, status, file);
    assert.match(t.reason ?? '', reason);
    assert.deepEqual([(await pixels(t)).width, (await pixels(t)).height], [32, 32]);
  }
  const dd: DrilldownData = {
    model: 'drin', row: 0, id: 'm0', sentence: 'x', mention: 'x', span: [0, 1], goldQid: 'Q1', goldName: 'a', goldRank: 1,
    mentionImage: psd, edges: [],
    candidates: [
      { rank: 1, slot: 0, qid: 'Q1', name: 'a', text: '', image: path.join(FIX, 'pcx_rgb.pcx'), score: 1, gold: true },
      { rank: 2, slot: 1, qid: 'Q2', name: 'b', text: '', image: path.join(FIX, 'small_40x40.png'), score: 0.5, gold: false },
    ],
  };
  const { html, unreadableImages } = await drilldownHtml(dd, { thumb: 24 });
  assert.equal(unreadableImages.length, 2, 'the PSD and the small PNG are counted');
  assert.match(unreadableImages.join('\n'), /layers\.psd: .*\[unsupported\]/);
  assert.match(unreadableImages.join('\n'), /small_40x40\.png: .*\[small\]/);
  assert.equal((html.match(/<img src="data:image\/png;base64,/g) ?? []).length, 3);
});

test('image files are decoded in one place: outside src/data/images sharp only gets raw pixels or a drawn SVG', () => {
  const src = path.join(__dirname, '..', '..', 'src');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) { if (f !== path.join(src, 'data', 'images')) walk(f); continue; }
      if (!f.endsWith('.ts')) continue;
      fs.readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (/\bsharp\(/.test(line) && !/\bsharp\(.*\{\s*(raw|create):/.test(line) && !/\bsharp\(\w*[sS]vg\(/.test(line)) offenders.push(`${path.relative(src, f)}:${i + 1}: ${line.trim()}`);
        if (/\.rotate\(\s*\)/.test(line)) offenders.push(`${path.relative(src, f)}:${i + 1}: EXIF auto-rotation: ${line.trim()}`);
      });
    }
  };
  walk(src);
  assert.deepEqual(offenders, []);
});
