// Baseline run helpers: feature slicing for the CPU notebook, table rows, zero-shot runs on the preprocessed fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend';
import { SHARED } from '../../src/paths';
import { baselineTableRow, evaluateZeroShot, sliceBaselineFeatures } from '../../src/train/runs/baselines';
import { createBertZeroShot } from '../../src/models/zeroshot';
import { openPreprocessed } from '../../src/data/preprocessed';
import { lacks } from '../helpers/needs';

test('sliceBaselineFeatures keeps the first dims of text and image features only', async () => {
  await initBackend();
  const batch = {
    mention_text_feature: tf.ones([2, 5, 8]),
    mention_image_feature: tf.ones([2, 3, 12]),
    entity_text_pooled: tf.ones([2, 4, 8]),
    entity_image_feature: tf.zeros([2], 'int32'),
    mention_text_mask: tf.ones([2, 5], 'int32'),
    index: [3, 4],
  };
  const out = sliceBaselineFeatures(batch, { text: 6, image: 10 });
  assert.deepEqual((out.mention_text_feature as tf.Tensor).shape, [2, 5, 6]);
  assert.deepEqual((out.entity_text_pooled as tf.Tensor).shape, [2, 4, 6]);
  assert.deepEqual((out.mention_image_feature as tf.Tensor).shape, [2, 3, 10]);
  assert.deepEqual((out.entity_image_feature as tf.Tensor).shape, [2]);
  assert.deepEqual(out.index, [3, 4]);
  assert.throws(() => sliceBaselineFeatures({ mention_text_feature: tf.ones([1, 2, 4]) }, { text: 6, image: 1 }), /has 4 dims, asked for 6/);
});

test('baselineTableRow reports percentages, corrected top-k, MRR and seconds per epoch', () => {
  const row = baselineTableRow('m', { total: 4, withGold: 2, absentShare: 0.5, mrr: 0.375, meanRank: 2, top1: 0.25, top1Corrected: 0.5, top5: 0.5, top5Corrected: 1 }, 'test', 12.345, [1, 5]);
  assert.equal(row.top1, 25);
  assert.equal(row['top1 corr.'], 50);
  assert.equal(row.top5, 50);
  assert.equal(row.MRR, 37.5);
  assert.equal(row['s/epoch'], 12.35);
});

test('evaluateZeroShot writes predictions, metrics and history like a run', async (t) => {
  const dir = path.join(SHARED, 'fixtures', 'preprocessed', 'wikimel');
  if (lacks(t, fs.existsSync(dir), '../shared absent: fixtures/preprocessed/wikimel not found')) return;
  await initBackend();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'zs-'));
  const ds = openPreprocessed(dir, { cacheDir: path.join(out, 'cache') });
  try {
    const r = await evaluateZeroShot(createBertZeroShot(), ds, { outDir: out, topks: [1, 5] });
    assert.equal(r.test.total, ds.splits.test.mentions);
    const preds = fs.readFileSync(path.join(out, 'predictions_test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(preds.length, ds.splits.test.mentions);
    assert.equal(preds[0].scores.length, ds.candidates);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    assert.equal(metrics.test.total, ds.splits.test.mentions);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'))[0].epoch, 0);
  } finally {
    ds.close();
    fs.rmSync(out, { recursive: true, force: true });
  }
});
