/**
 * The stand-in encoders: deterministic, the right shapes, and carrying the signal the sample needs
 * (shared tokens → similar text vectors; similar pictures → similar image vectors; the drawn
 * objects are found).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { standinEncoders, StandinObjectDetector, hashedVector } from '../../src/encode/standins';
import { loadImageRGB, type RgbImage } from '../../src/encode/images';
import { TINY, TINY_IMAGES } from './encode-helpers';

const cos = (a: Float32Array, b: Float32Array) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return d / Math.sqrt(na * nb);
};
const solid = (r: number, g: number, b: number, w = 100, h = 100): RgbImage => {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3);
  return { width: w, height: h, data, source: null };
};

test('text stand-in: deterministic, [N, L, D] + mask from the dataset tokenizer, shared tokens → similar vectors', async () => {
  const { text } = standinEncoders({ tokenizer: path.join(TINY, 'tiny-bert'), textDim: 512 });
  assert.equal(text.standin, true);
  const texts = ['Michael Jordan played for Chicago.', 'Michael Jordan. Sex: male; Occupation: basketball player', 'Alpha Centauri is a star.'];
  const a = await text.hidden(texts, 16), b = await text.hidden(texts, 16);
  assert.deepEqual(a, b);
  assert.equal(a.hidden.length, 3 * 16 * 512);
  assert.deepEqual(Array.from(a.mask.subarray(0, 16)), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  const cls = (n: number) => a.hidden.subarray(n * 16 * 512, n * 16 * 512 + 512);
  assert.ok(cos(cls(0), cls(1)) > cos(cls(0), cls(2)) + 0.2, `${cos(cls(0), cls(1))} vs ${cos(cls(0), cls(2))}`);
  // the token "Jordan" (position 2) has nearly the same vector in both texts
  const tok = (n: number, t: number) => a.hidden.subarray((n * 16 + t) * 512, (n * 16 + t + 1) * 512);
  assert.ok(cos(tok(0, 2), tok(1, 2)) > 0.8);
  assert.equal((await text.pooled(texts)).length, 3 * 512);
  assert.deepEqual(hashedVector('x', 4), hashedVector('x', 4));
  // N(0, scale²) values, one fixed vector per key: moments of 20,000 draws, other keys nearly orthogonal
  const big = hashedVector('x', 20000, 2);
  const mean = big.reduce((acc, v) => acc + v, 0) / big.length;
  const sd = Math.sqrt(big.reduce((acc, v) => acc + (v - mean) ** 2, 0) / big.length);
  const kurt = big.reduce((acc, v) => acc + ((v - mean) / sd) ** 4, 0) / big.length;
  assert.ok(Math.abs(mean) < 0.06 && Math.abs(sd - 2) < 0.06 && Math.abs(kurt - 3) < 0.2, `mean ${mean}, sd ${sd}, kurtosis ${kurt}: expected 0, 2, 3`);
  assert.ok(Math.abs(cos(big, hashedVector('y', 20000, 2))) < 0.05, 'another key, another vector');
});

test('image stand-in: [N, 49, C] regions, pooled = mean; similar colours → similar features', async () => {
  const { image } = standinEncoders({ imageDim: 128 });
  const out = await image.encode([solid(200, 40, 40), solid(215, 55, 50), solid(40, 70, 200)]);
  assert.equal(out.hidden.length, 3 * 49 * 128);
  const pooled = (n: number) => out.pooled.subarray(n * 128, (n + 1) * 128);
  assert.ok(cos(pooled(0), pooled(1)) > cos(pooled(0), pooled(2)) + 0.1);
  let mean = 0;
  for (let g = 0; g < 49; g++) mean += out.hidden[g * 128 + 5] / 49;
  assert.ok(Math.abs(mean - out.pooled[5]) < 1e-5);
  assert.ok(out.hidden.every((v) => v >= 0), 'ReLU features, like ResNet outputs');
});

test('detector stand-in: finds the two rectangles drawn in scene.png (224 frame), pads a plain image with the default box', async () => {
  const scene = await loadImageRGB(path.join(TINY_IMAGES, 'scene.png'));
  const [d] = await new StandinObjectDetector().detect([scene], 3);
  assert.equal(d.found, 2);
  // drawn at (40,60,150,200) and (200,30,300,110) in 320x240 → x·0.7, y·0.933 in the 224 frame
  const want = [[28, 56, 105, 187], [140, 28, 210, 103]];
  for (const w of want) {
    assert.ok(d.boxes.slice(0, 2).some((b) => b.every((v, i) => Math.abs(v - w[i]) <= 8)), `a box near ${w}: ${JSON.stringify(d.boxes)}`);
  }
  assert.deepEqual([d.boxes[2], d.scores[2]], [[0, 0, 50, 50], 0]);
  assert.ok(d.scores[0] >= d.scores[1] && d.scores[1] > 0 && d.scores[0] <= 1);
  const [plain] = await new StandinObjectDetector().detect([solid(10, 200, 10)], 1);
  assert.deepEqual(plain, { boxes: [[0, 0, 50, 50]], scores: [0], labels: [''], found: 0 });
});

test('CLIP stand-in: unit-norm embeddings, logits in [-100, 100], deterministic', async () => {
  const { clip } = standinEncoders();
  const t = await clip.textEmbeds(['a red car', 'a red car', 'the blue river']);
  const i = await clip.imageEmbeds([solid(200, 40, 40)]);
  assert.equal(t.length, 3 * clip.dim);
  assert.ok(Math.abs(cos(t.subarray(0, 512), t.subarray(512, 1024)) - 1) < 1e-6);
  const norm2 = (v: Float32Array) => v.reduce((acc, x) => acc + x * x, 0);
  assert.ok([0, 1, 2].every((k) => Math.abs(norm2(t.subarray(k * 512, (k + 1) * 512)) - 1) < 1e-5), 'unit-norm text embeddings');
  assert.ok(cos(t.subarray(0, 512), t.subarray(1024, 1536)) < 0.99, 'different texts, different embeddings');
  let n = 0;
  for (let j = 0; j < 512; j++) n += i[j] * i[j];
  assert.ok(Math.abs(n - 1) < 1e-5);
  assert.equal(clip.logitScale, 100);
});

test('CLIP stand-in is aligned on colour terms: a text naming the colour an image shows scores higher', async () => {
  const { clip } = standinEncoders();
  const t = await clip.textEmbeds(['Emblem: red circle.', 'Emblem: blue circle.', 'Anna Berg at a press conference in 1950']);
  const im = await clip.imageEmbeds([solid(200, 40, 40), solid(40, 70, 200)]);
  const P = clip.dim;
  const c = (ti: number, ii: number) => cos(t.subarray(ti * P, (ti + 1) * P), im.subarray(ii * P, (ii + 1) * P));
  // matching colour ≈ 0.30, other pairs ≈ 0.18 (the range of real CLIP cosines)
  assert.ok(c(0, 0) - c(1, 0) > 0.08, `red text vs red image ${c(0, 0)}, blue text vs red image ${c(1, 0)}`);
  assert.ok(c(1, 1) - c(0, 1) > 0.08, `blue text vs blue image ${c(1, 1)}, red text vs blue image ${c(0, 1)}`);
  for (const v of [c(0, 0), c(1, 1)]) assert.ok(v > 0.2 && v < 0.4, `matching cosine ${v}`);
  for (const v of [c(2, 0), c(2, 1), c(1, 0)]) assert.ok(v > 0.05 && v < 0.3, `unrelated cosine ${v}`);
});

test('stand-in widths: text 128 and image 256 by default (STANDIN_DIMS), the paper widths on request, through loadEncoders too', async () => {
  const { STANDIN_DIMS } = await import('../../src/encode/standins');
  const { loadEncoders } = await import('../../src/encode/models');
  assert.deepEqual({ ...STANDIN_DIMS }, { text: 128, image: 256 });
  const def = standinEncoders({ tokenizer: path.join(TINY, 'tiny-bert') });
  const h = await def.text.hidden(['Michael Jordan played for Chicago.'], 8);
  assert.equal(h.hidden.length, 8 * 128, 'one text of 8 tokens × 128');
  assert.equal((await def.image.encode([solid(200, 40, 40)])).hidden.length, 49 * 256, '49 regions × 256');
  const paper = await loadEncoders({ defaults: 'standin', standinDims: { text: 768, image: 2048 } });
  assert.equal((await paper.text.pooled(['a b'])).length, 768);
  assert.equal((await paper.image.encode([solid(1, 2, 3)])).pooled.length, 2048);
});
