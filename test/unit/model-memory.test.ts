// The RankingModel memory contract (src/train/model.ts): `scores` returns one new tensor that the caller
// disposes and keeps nothing else; a training step (trainStep) leaves no tensor behind. Checked for every
// model: DRIN on both engines and both layouts, GHMFC, MEL-HI, the zero-shot rankers.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { createDrin } from '../../src/models';
import { createGhmfc } from '../../src/models/ghmfc';
import { createMelhi } from '../../src/models/melhi';
import { createBertZeroShot, createClipZeroShot } from '../../src/models/zeroshot';
import { Adam, trainStep, type RankingModel } from '../../src/train';
import { toyBatch, Dt, Di } from '../helpers/toy-batch';

before(async () => {
  await initBackend();
});

const models: [string, 'wikimel' | 'wikidiverse', () => RankingModel][] = [
  ['DRIN tfjs engine, WikiMEL layout', 'wikimel', () => createDrin({ bertDim: Dt, resnetDim: Di, gcnDim: 8 }, 1, { engine: 'tfjs' })],
  ['DRIN tfjs engine, WikiDiverse layout', 'wikidiverse', () => createDrin({ bertDim: Dt, resnetDim: Di, gcnDim: 8 }, 1, { engine: 'tfjs' })],
  ['DRIN ort engine, WikiMEL layout', 'wikimel', () => createDrin({ bertDim: Dt, resnetDim: Di, gcnDim: 8 }, 1, { engine: 'ort' })],
  ['DRIN ort engine, WikiDiverse layout', 'wikidiverse', () => createDrin({ bertDim: Dt, resnetDim: Di, gcnDim: 8 }, 1, { engine: 'ort' })],
  ['GHMFC', 'wikimel', () => createGhmfc({ bertDim: Dt, resnetDim: Di, mentionOutputDim: 12, entityOutputDim: 12, numHeads: 4 })],
  ['MEL-HI', 'wikidiverse', () => createMelhi({ bertDim: Dt, resnetDim: Di })],
  ['BERT zero-shot', 'wikimel', () => createBertZeroShot()],
  ['CLIP zero-shot', 'wikimel', () => createClipZeroShot()],
];

for (const [name, layout, make] of models) {
  test(`${name}: scoring and one training step leave tf.memory().numTensors unchanged`, () => {
    const batch = toyBatch(layout);
    const model = make();
    const start = tf.memory().numTensors;
    const scores = model.scores(batch);
    assert.equal(scores.shape[0], batch.mention_start_pos.shape[0]);
    assert.equal(tf.memory().numTensors, start + 1, 'scores: only the returned tensor is new');
    scores.dispose();
    assert.equal(tf.memory().numTensors, start, 'scores: nothing left after disposing the result');
    if (model.params.size > 0) {
      const adam = new Adam({ lr: 1e-3 });
      const first = trainStep(model, adam, batch, 0.25);
      assert.ok(Number.isFinite(first.loss));
      const afterFirst = tf.memory().numTensors; // Adam's moments now exist: m and v per parameter with a gradient
      const state = adam.getState(); // clones, disposed right away
      state.m.forEach((t) => t.dispose());
      state.v.forEach((t) => t.dispose());
      const slots = Object.keys(state.steps).length;
      assert.ok(slots > 0 && slots <= model.params.size);
      // a fused engine (DRIN ort) keeps Adam's moments as host arrays inside the optimizer: no tensor at all
      const adamTensors = model.trainStepFused ? 0 : 2 * slots;
      assert.equal(afterFirst, start + adamTensors, 'step 1: only the Adam state (m, v per parameter with a gradient) is new');
      trainStep(model, adam, batch, 0.25);
      assert.equal(tf.memory().numTensors, afterFirst, 'step 2: nothing new');
      if (model.extras) {
        const extras = model.extras(batch);
        Object.values(extras).forEach((t) => t.dispose());
        assert.equal(tf.memory().numTensors, afterFirst, 'extras: only the returned tensors are new');
      }
    }
    model.params.forEach((p) => p.dispose());
    Object.values(batch).forEach((t) => t.dispose());
  });
}
