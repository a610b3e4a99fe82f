// Entity rows once per distinct row (src/models/graph/unique-rows.ts): the host finds the distinct rows,
// the graph computes the layer-0 products on them; scores and gradients equal the per-slot graph and tfjs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createDrin } from '../../src/models';
import { drinConfig } from '../../src/models/drin-config';
import { DrinOrtEngine } from '../../src/models/drin-ort';
import { findUniqueRows } from '../../src/models/graph/unique-rows';
import type { DrinBatch } from '../../src/models/vertices';
import { tripletLoss } from '../../src/train/loss';

before(async () => {
  await tf.setBackend('wasm');
});

test('findUniqueRows: distinct rows by bits, first appearance first; -0 and +0 differ', () => {
  const rows = [
    [1, 2, 3],
    [4, 5, 6],
    [1, 2, 3],
    [0, 0, 0],
    [-0, 0, 0],
    [4, 5, 6],
  ];
  const { first, index } = findUniqueRows(Float32Array.from(rows.flat()), 6, 3);
  assert.deepEqual(first, [0, 1, 3, 4]);
  assert.deepEqual(Array.from(index), [0, 1, 0, 2, 3, 1]);
  assert.throws(() => findUniqueRows(new Float32Array(5), 2, 3), /5 values are not 2 rows × 3/);
  // many rows whose sampled words agree but that differ elsewhere: equality is checked in full
  const wide = new Float32Array(10 * 100);
  for (let r = 0; r < 10; r++) wide[r * 100 + 1] = r % 5; // word 1 is not among the hash's samples (every 3rd word)
  const w = findUniqueRows(wide, 10, 100);
  assert.equal(w.first.length, 5);
  assert.deepEqual(Array.from(w.index), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
});

/** A batch whose candidate lists overlap (entity e appears in several mentions' slots) and whose entities share few images. */
function overlappingBatch(B: number, R: number, Dt: number, Di: number, entities: number, images: number): DrinBatch {
  // B·R slots drawn from `entities` entities; entities e and e + images share an image
  const slot = (b: number, r: number): number => (b * 5 + r * 2) % entities;
  const texts = tf.randomNormal([entities, Dt], 0, 1, 'float32', 5);
  const cls = tf.randomNormal([entities, Dt], 0, 1, 'float32', 12);
  const imgs = tf.randomUniform([images, 1, Di], 0, 1, 'float32', 6);
  const ids = tf.tensor2d(
    Array.from({ length: B }, (_, b) => Array.from({ length: R }, (_, r) => slot(b, r))),
    [B, R],
    'int32',
  );
  const u = (shape: number[], s: number) => tf.randomUniform(shape, 0, 1, 'float32', 100 + s);
  return {
    mention_text_feature: tf.randomNormal([B, 9, Dt], 0, 1, 'float32', 1),
    mention_start_pos: tf.tensor1d(
      Array.from({ length: B }, (_, i) => 1 + (i % 3)),
      'int32',
    ),
    mention_end_pos: tf.tensor1d(
      Array.from({ length: B }, (_, i) => 3 + (i % 4)),
      'int32',
    ),
    mention_image_feature: u([B, 5, Di], 2),
    mention_object_feature: u([B, 3, Di], 3),
    mention_object_score: u([B, 3], 4),
    entity_text_pooled: tf.gather(texts, ids),
    entity_text_cls: tf.gather(cls, ids),
    entity_image_feature: tf.gather(imgs, tf.mod(ids, tf.scalar(images, 'int32'))),
    entity_object_feature: u([B, R, 1, Di], 7),
    entity_object_score: u([B, R, 1], 8),
    miet_similarity: u([B, R], 9).mul(30),
    mtei_similarity: u([B, R], 10).mul(30),
    answer_onehot: tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: B }, (_, i) => (i * 3) % (R - 1)),
          'int32',
        ),
        R - 1,
      )
      .toFloat(),
  } as unknown as DrinBatch;
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

const cases: [string, number, number, number, Record<string, number>][] = [
  // [name, B, entities, images, distinct rows]: B·R = 6B > 16, 12 slots: both entity vertices lazy in layer 0
  ['few distinct rows (N < din) for text and image', 4, 9, 2, { entity_text_vector: 9, entity_image_feature: 2 }],
  ['many distinct text rows (N > din), few images', 8, 20, 2, { entity_text_vector: 20, entity_image_feature: 2 }],
];

for (const [name, B, entities, images, rows] of cases)
  test(`ort engine with overlapping candidates and shared images, ${name}: distinct-row graph = per-slot graph = tfjs`, () => {
    const cfg = { bertDim: 16, resnetDim: 12, gcnDim: 16 };
    const model = createDrin(cfg, 7, { engine: 'tfjs' });
    const batch = overlappingBatch(B, 6, 16, 12, entities, images);
    const distinct = new DrinOrtEngine(drinConfig(cfg));
    const perSlot = new DrinOrtEngine(drinConfig(cfg));
    perSlot.uniqueEntityRows = false;
    const a = distinct.step(model.params, batch, 0.25);
    const b = perSlot.step(model.params, batch, 0.25);
    // the same algebra, summed in another order: float rounding apart, the same scores and gradients
    assert.ok(maxDiff(a.scores, b.scores) <= 1e-6, `scores: ${maxDiff(a.scores, b.scores)}`);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-7);
    for (const [k, g] of b.grads)
      assert.ok(maxDiff(a.grads.get(k)!, g) <= 1e-5 + 1e-4 * tf.tidy(() => g.abs().max().dataSync()[0]), `${k}: ${maxDiff(a.grads.get(k)!, g)}`);
    // and both equal tfjs's autodiff
    const keys = [...model.params.keys()];
    const vars = keys.map((k) => model.params.get(k)!);
    const { value, grads } = tf.variableGrads(() => tripletLoss(model.scores(batch as never), batch.answer_onehot!, 0.25), vars);
    assert.ok(Math.abs(a.loss - value.dataSync()[0]) < 1e-6);
    for (const [vn, g] of Object.entries(grads)) {
      const ours = a.grads.get(keys[vars.findIndex((v) => v.name === vn)]);
      if (ours) assert.ok(maxDiff(ours, g) <= 1e-5 + 1e-4 * tf.tidy(() => g.abs().max().dataSync()[0]), vn);
    }
    assert.ok(maxDiff(distinct.scores(model.params, batch), perSlot.scores(model.params, batch)) <= 1e-6, 'eval scores');
    assert.deepEqual(distinct.distinctRows, rows, 'the distinct-row path ran');
    assert.deepEqual(perSlot.distinctRows, {});
    distinct.dispose();
    perSlot.dispose();
  });

test('ort engine eval: the parameter-only products come from a cache per parameter version, the same scores up to float rounding', () => {
  const cfg = { bertDim: 16, resnetDim: 12, gcnDim: 16 };
  const model = createDrin(cfg, 3, { engine: 'tfjs' });
  const batch = overlappingBatch(8, 6, 16, 12, 20, 2); // text: 20 distinct rows > 16 (the W_h·W_e product); images: 2 rows
  const cached = new DrinOrtEngine(drinConfig(cfg));
  const direct = new DrinOrtEngine(drinConfig(cfg));
  direct.cacheParamProducts = false;
  // the products come from a graph of their own: onnxruntime may round them differently in the last bit
  const same = (a: tf.Tensor, b: tf.Tensor, what: string) => assert.ok(maxDiff(a, b) <= 1e-6, `${what}: ${maxDiff(a, b)}`);
  const first = cached.scores(model.params, batch);
  same(first, direct.scores(model.params, batch), 'scores');
  assert.deepEqual(cached.scores(model.params, batch).dataSync(), first.dataSync(), 'the second pass reads the same cached products');
  assert.equal(cached.paramProductRuns, 1, 'computed once for two passes on the same parameters');
  assert.equal(direct.paramProductRuns, 0);
  // a parameter the products read changes: the next pass recomputes them
  const w = model.params.get('gcn_layers.0.w_h.weight')!;
  w.assign(w.mul(1.5));
  const after = cached.scores(model.params, batch);
  assert.equal(cached.paramProductRuns, 2);
  same(after, direct.scores(model.params, batch), 'scores after the change');
  assert.ok(maxDiff(after, first) > 1e-3, 'the scores moved with the parameter');
  // per-slot rows (no distinct-row feed) read the products too
  const perSlot = new DrinOrtEngine(drinConfig(cfg));
  perSlot.uniqueEntityRows = false;
  same(perSlot.scores(model.params, batch), after, 'per-slot scores');
  assert.equal(perSlot.paramProductRuns, 1);
  // training steps never read the cache: the gradients equal the uncached engine's
  const a = cached.step(model.params, batch, 0.25);
  const b = direct.step(model.params, batch, 0.25);
  assert.equal(a.loss, b.loss);
  for (const [k, g] of b.grads) assert.deepEqual(a.grads.get(k)!.dataSync(), g.dataSync(), k);
  [cached, direct, perSlot].forEach((e) => e.dispose());
});
