// The training defaults are the RELEASED reference's (starreeze/drin, release 23.07, common/args.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceTrainSettings, PRE_RELEASE_2023_03_WIKIMEL_SETTINGS, TRAIN_DEFAULTS } from '../../src';

test('referenceTrainSettings: lr 1e-3, margin 0.25, batch 64, 30 epochs, a test every 10, for both datasets', () => {
  for (const layout of ['wikimel', 'wikidiverse'] as const) {
    const s = referenceTrainSettings(layout);
    assert.deepEqual(
      { lr: s.lr, margin: s.margin, batchSize: s.batchSize, epochs: s.epochs, testEvery: s.testEvery },
      { lr: 1e-3, margin: 0.25, batchSize: 64, epochs: 30, testEvery: 10 },
      layout,
    );
  }
  assert.deepEqual(referenceTrainSettings('wikimel').topks, [1, 5, 10, 20, 50]);
  assert.deepEqual(referenceTrainSettings('wikidiverse').topks, [1, 3, 5]);
});

test('the training loop defaults agree with the released reference', () => {
  assert.equal(TRAIN_DEFAULTS.lr, 1e-3);
  assert.equal(TRAIN_DEFAULTS.margin, 0.25);
  assert.equal(TRAIN_DEFAULTS.epochs, 30);
  assert.equal(TRAIN_DEFAULTS.testEvery, 10);
  assert.equal(TRAIN_DEFAULTS.resetOptimizerEachRound, true);
});

test('the pre-release WikiMEL values survive only as a named preset', () => {
  assert.deepEqual(
    { lr: PRE_RELEASE_2023_03_WIKIMEL_SETTINGS.lr, margin: PRE_RELEASE_2023_03_WIKIMEL_SETTINGS.margin, batchSize: PRE_RELEASE_2023_03_WIKIMEL_SETTINGS.batchSize },
    { lr: 2e-3, margin: 0.5, batchSize: 32 },
  );
  assert.notDeepEqual(PRE_RELEASE_2023_03_WIKIMEL_SETTINGS.lr, referenceTrainSettings('wikimel').lr);
});
