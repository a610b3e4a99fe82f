/**
 * Tiny-model parity: tiny BERT / ResNet / CLIP / DETR exported to ONNX by
 * test/fixtures/tiny-models/make_tiny_models.py run through exactly the code path the real models
 * take (transformers.js loading a local model folder with remote models disabled, our tokenization
 * and image preprocessing), compared with PyTorch's outputs within 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNpy } from '../../src/data/npy';
import { BertTextEncoder } from '../../src/encode/bert';
import { ResnetImageEncoder } from '../../src/encode/resnet';
import { ClipEncoder } from '../../src/encode/clip';
import { DetrObjectDetector, detrPostprocess } from '../../src/encode/detector';
import { hfLib } from '../../src/encode/hf';
import { loadImageRGB, type RgbImage } from '../../src/encode/images';
import { TINY, TINY_IMAGES } from './encode-helpers';

const REF = path.join(TINY, 'reference');
const meta = JSON.parse(fs.readFileSync(path.join(REF, 'meta.json'), 'utf8')) as {
  images: string[]; bert: { texts: string[]; ids: number[][] }; clip: { texts: string[]; ids: number[][] };
};
const ref = (name: string) => readNpy(path.join(REF, `${name}.npy`));
function assertClose(got: ArrayLike<number>, want: ArrayLike<number | bigint>, tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - Number(want[i]));
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} at ${at} > ${tol}`);
}
const images = async (): Promise<RgbImage[]> => Promise.all(meta.images.map((n) => loadImageRGB(path.join(TINY_IMAGES, n))));

test('BERT: tokenizer ids, last hidden state (128 / 64 tokens + mask) and pooler match PyTorch (long text run whole)', async () => {
  const bert = await BertTextEncoder.load(path.join(TINY, 'tiny-bert'), { batchSize: 2 });
  assert.equal(hfLib().env.allowRemoteModels, false);
  assert.equal(bert.dim, 32);
  meta.bert.texts.forEach((t, i) => assert.deepEqual(bert.tokenIds(t), meta.bert.ids[i], `token ids of text ${i}`));
  assert.equal(bert.tokenIds(meta.bert.texts[3]).length, 303); // longer than 128: the first 128 attend to all 303
  const h128 = await bert.hidden(meta.bert.texts, 128);
  assertClose(h128.hidden, ref('bert_hidden128').data as Float32Array, 1e-4, 'hidden[:, :128]');
  assertClose(h128.mask, ref('bert_mask128').data as BigInt64Array, 0, 'mask[:, :128]');
  const h64 = await bert.hidden(meta.bert.texts, 64);
  assertClose(h64.hidden, ref('bert_hidden64').data as Float32Array, 1e-4, 'hidden[:, :64]');
  assertClose(await bert.pooled(meta.bert.texts), ref('bert_pooled').data as Float32Array, 1e-4, 'pooler_output');
});

test('ResNet: image file → resize 224 → processor → [49, C] regions and pooled [C] match PyTorch', async () => {
  const resnet = await ResnetImageEncoder.load(path.join(TINY, 'tiny-resnet'), { batchSize: 2 });
  assert.deepEqual([resnet.dim, resnet.regions], [24, 49]);
  const out = await resnet.encode(await images());
  assertClose(out.hidden, ref('resnet_hidden').data as Float32Array, 1e-4, 'last_hidden_state as [N, 49, C]');
  assertClose(out.pooled, ref('resnet_pooled').data as Float32Array, 1e-4, 'pooler_output');
});

test('CLIP: tokens cut at 77 like the reference, logits = 100 · cosine match PyTorch', async () => {
  const clip = await ClipEncoder.load(path.join(TINY, 'tiny-clip'), { batchSize: 3 });
  meta.clip.texts.forEach((t, i) => assert.deepEqual(clip.tokenIds(t), meta.clip.ids[i], `CLIP token ids of text ${i}`));
  assert.equal(clip.tokenIds(meta.clip.texts[3]).length, 77);
  const txt = await clip.textEmbeds(meta.clip.texts); // [4, P]
  const img = await clip.imageEmbeds(await images()); // [3, P]
  const P = clip.dim, logits: number[] = [];
  for (let i = 0; i < 3; i++) for (let t = 0; t < 4; t++) {
    let s = 0;
    for (let j = 0; j < P; j++) s += img[i * P + j] * txt[t * P + j];
    logits.push(clip.logitScale * s);
  }
  assertClose(logits, ref('clip_logits').data as Float32Array, 1e-4, 'logits_per_image');
});

test('DETR (the Faster R-CNN substitute): logits and boxes match PyTorch; post-processing sorts, pads with score 0 and [0,0,50,50]', async () => {
  const detr = await DetrObjectDetector.load(path.join(TINY, 'tiny-detr'), { threshold: 0.6 });
  const imgs = await images();
  const raw = await detr.forward(detr.pixels(imgs), imgs.length);
  assert.deepEqual([raw.Q, raw.L1], [6, 4]);
  assertClose(raw.logits, ref('detr_logits').data as Float32Array, 1e-4, 'logits');
  assertClose(raw.boxes, ref('detr_boxes').data as Float32Array, 1e-4, 'pred_boxes');
  const dets = await detr.detect(imgs, 3);
  assert.ok(dets.some((d) => d.found > 0) && dets.some((d) => d.found < 3), `found: ${dets.map((d) => d.found)}`);
  const again = detrPostprocess(ref('detr_logits').data as Float32Array, ref('detr_boxes').data as Float32Array, 3, 6, 4, 3, { threshold: 0.6, id2label: { 0: 'thing', 1: 'person', 2: 'car' } });
  for (let i = 0; i < 3; i++) {
    assertClose(dets[i].scores, again[i].scores, 1e-5, `scores ${i}`);
    assert.deepEqual(dets[i].labels, again[i].labels);
    for (let k = 1; k < 3; k++) assert.ok(dets[i].scores[k - 1] >= dets[i].scores[k], 'sorted by score');
    dets[i].boxes.forEach((b, k) => {
      if (k >= dets[i].found) { assert.deepEqual(b, [0, 0, 50, 50]); assert.equal(dets[i].scores[k], 0); }
      else assert.ok(b.every((v) => v >= 0 && v <= 224) && b[2] >= b[0] && b[3] >= b[1], `box ${b} inside the 224 frame`);
    });
  }
  // the post-processing itself, against a hand computation on the reference outputs: p(label) = 1 / Σ_j exp(l_j − l_label)
  // over all labels incl. "no object" (the last), best real label per query, kept when p > 0.6, (cx, cy, w, h) → corners × 224
  const L = ref('detr_logits').data as Float32Array, bx = ref('detr_boxes').data as Float32Array;
  const names = ['thing', 'person', 'car'];
  let kept = 0;
  for (let i = 0; i < 3; i++) {
    const hand: { score: number; box: number[]; label: string }[] = [];
    for (let q = 0; q < 6; q++) {
      const row = Array.from(L.subarray((i * 6 + q) * 4, (i * 6 + q + 1) * 4));
      const p = row.slice(0, 3).map((li) => 1 / row.reduce((acc, lj) => acc + Math.exp(lj - li), 0));
      const best = p.indexOf(Math.max(...p));
      const [cx, cy, w, h] = Array.from(bx.subarray((i * 6 + q) * 4, (i * 6 + q + 1) * 4));
      if (p[best]! > 0.6) hand.push({ score: p[best]!, label: names[best]!, box: [cx! - w! / 2, cy! - h! / 2, cx! + w! / 2, cy! + h! / 2].map((v) => 224 * Math.min(1, Math.max(0, v))) });
    }
    hand.sort((a, b) => b.score - a.score);
    const top = hand.slice(0, 3);
    kept += top.length;
    assert.equal(again[i].found, top.length, `image ${i}: detections kept`);
    assert.deepEqual(again[i].labels.slice(0, top.length), top.map((d) => d.label), `image ${i}: labels`);
    top.forEach((d, k) => {
      assert.ok(Math.abs(again[i].scores[k]! - d.score) < 1e-6, `image ${i} detection ${k}: score ${again[i].scores[k]} vs ${d.score} by hand`);
      assert.ok(d.box.every((v, c) => Math.abs(again[i].boxes[k]![c]! - v) < 1e-3), `image ${i} detection ${k}: box ${again[i].boxes[k]} vs ${d.box} by hand`);
    });
  }
  assert.ok(kept > 0, 'some query passes the threshold');
  // a threshold no query passes: every slot is the default
  const none = detrPostprocess(ref('detr_logits').data as Float32Array, ref('detr_boxes').data as Float32Array, 3, 6, 4, 1, { threshold: 1 });
  assert.deepEqual(none[0], { boxes: [[0, 0, 50, 50]], scores: [0], labels: [''], found: 0 });
});
