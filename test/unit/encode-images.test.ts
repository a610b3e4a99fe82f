/**
 * Image loading rules and preprocessing against known values: the reference's PIL pipeline was run
 * by test/fixtures/tiny-models/make_tiny_models.py and its uint8 224×224 crops saved as PNG.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import {
  loadImageRGB, decodeRGB, resnetCrop, clipCrop, resizeRGB, cropRGB, normalizeToCHW, shortestEdgeSize, IMAGENET_MEAN, IMAGENET_STD,
  type RgbImage,
} from '../../src/encode/images';
import { TINY, TINY_IMAGES } from './encode-helpers';

const REF = path.join(TINY, 'reference');
const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('loadImageRGB: suffix trials, and missing / corrupt / under 50x50 images give the default image', async () => {
  const scene = await loadImageRGB(path.join(TINY_IMAGES, 'scene')); // found as scene.png
  assert.equal(scene.source, path.join(TINY_IMAGES, 'scene.png'));
  assert.deepEqual([scene.width, scene.height, scene.defaulted], [320, 240, undefined]);
  assert.deepEqual(Array.from(scene.data.subarray(0, 3)), [30, 90, 200]); // the background colour drawn by PIL
  const portrait = await loadImageRGB(path.join(TINY_IMAGES, 'portrait')); // .jpg
  assert.equal(portrait.source, path.join(TINY_IMAGES, 'portrait.jpg'));
  assert.equal((await loadImageRGB(path.join(TINY_IMAGES, 'tiny'))).defaulted, 'small');
  assert.equal((await loadImageRGB(path.join(TINY_IMAGES, 'corrupt.jpg'))).defaulted, 'corrupt');
  assert.equal((await loadImageRGB(path.join(TINY_IMAGES, 'nope'))).defaulted, 'missing');
  const dflt = await loadImageRGB(null);
  assert.deepEqual([dflt.width, dflt.height, dflt.defaulted, dflt.data[0]], [224, 224, 'none given', 128]);
  const custom = await decodeRGB(path.join(TINY_IMAGES, 'default.png'));
  const viaCustom = await loadImageRGB(path.join(TINY_IMAGES, 'tiny.png'), { defaultImage: custom });
  assert.equal(viaCustom.source, path.join(TINY_IMAGES, 'default.png'));
});

for (const name of ['scene.png', 'portrait.jpg', 'noise.png']) {
  test(`preprocessing of ${name} is bit-exact with the reference's PIL pipeline (ResNet, CLIP, detector)`, async () => {
    const img = await loadImageRGB(path.join(TINY_IMAGES, name));
    const stem = name.replace(/\.\w+$/, '');
    const cases: Array<[string, RgbImage]> = [['resnet', resnetCrop(img)], ['clip', clipCrop(img)], ['detr', resizeRGB(img, 224, 224)]];
    for (const [kind, got] of cases) {
      const ref = await decodeRGB(path.join(REF, `${kind}_${stem}.png`));
      assert.deepEqual([got.width, got.height], [224, 224]);
      assert.equal(maxDiff(got.data, ref.data), 0, `${kind} crop of ${name} differs from PIL`);
    }
  });
}

test('resizeRGB matches PIL bicubic values on a 1-D ramp (down and up)', () => {
  // Image.fromarray(ramp 0, 85, 170, 255).resize((2, 1)) → 50, 205; .resize((7, 1)) → 0 22 79 128 176 233 255 (Pillow 9.4)
  const img: RgbImage = { width: 4, height: 1, data: Uint8Array.from([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]), source: null };
  assert.deepEqual(Array.from(resizeRGB(img, 2, 1).data), [50, 50, 50, 205, 205, 205]);
  assert.deepEqual(Array.from(resizeRGB(img, 7, 1).data).filter((_, i) => i % 3 === 0), [0, 22, 79, 128, 176, 233, 255]);
});

test('cropRGB follows PIL crop: rounded box, black outside the image', () => {
  const img: RgbImage = { width: 2, height: 2, data: Uint8Array.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]), source: null };
  const c = cropRGB(img, [1, 0.5, 3.4, 2]); // x 1..3, y 0..2 (0.5 rounds to 0, 3.4 to 3)
  assert.deepEqual([c.width, c.height], [2, 2]);
  assert.deepEqual(Array.from(c.data), [2, 2, 2, 0, 0, 0, 4, 4, 4, 0, 0, 0]);
  assert.deepEqual([cropRGB(img, [1, 1, 1, 1]).width, cropRGB(img, [1, 1, 1, 1]).height], [1, 1]); // degenerate → 1x1
});

test('normalizeToCHW and shortestEdgeSize give the processor values', () => {
  const img: RgbImage = { width: 1, height: 1, data: Uint8Array.from([255, 0, 128]), source: null };
  const x = normalizeToCHW(img, IMAGENET_MEAN, IMAGENET_STD);
  assert.ok(Math.abs(x[0] - (1 - 0.485) / 0.229) < 1e-5);
  assert.ok(Math.abs(x[1] - (0 - 0.456) / 0.224) < 1e-5);
  assert.ok(Math.abs(x[2] - (128 / 255 - 0.406) / 0.225) < 1e-5);
  assert.deepEqual(shortestEdgeSize(320, 240, 224), [298, 224]);
  assert.deepEqual(shortestEdgeSize(180, 260, 224), [224, 323]);
});
