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
import { readNpy, toInt32 } from '../../src/data/npy';
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
    // by hand from the files: score = cos(mention [CLS], candidate entity's [CLS] token), slots 0..C-1 (the gold slot C dropped)
    const npy = (f: string) => readNpy(path.join(dir, f));
    const mtf = npy('mention-text-feature_test.npy'), eaf = npy('entity-attr-feature.npy');
    const names = npy('entity-name-raw_test.npy').data as string[], answers = Array.from(toInt32(npy('answer_test.npy').data));
    const q2i = JSON.parse(fs.readFileSync(path.join(dir, 'qid2idx.json'), 'utf8')) as Record<string, number>;
    const [T, D] = [mtf.shape[1]!, mtf.shape[2]!], [L, C] = [eaf.shape[1]!, ds.candidates];
    const m = mtf.data as Float32Array, e = eaf.data as Float32Array;
    let hits = 0, rr = 0;
    preds.forEach((p: { row: number; scores: number[] }, i: number) => {
      assert.equal(p.row, i);
      const a = m.subarray(i * T * D, i * T * D + D);
      const want = Array.from({ length: C }, (_, r) => {
        const at = q2i[names[i * (C + 1) + r]!]! * L * D, b = e.subarray(at, at + D);
        return a.reduce((acc, x, d) => acc + x * b[d]!, 0) / Math.sqrt(a.reduce((acc, x) => acc + x * x, 0) * b.reduce((acc, x) => acc + x * x, 0));
      });
      want.forEach((w, r) => assert.ok(Math.abs(p.scores[r]! - w) < 1e-5, `mention ${i} slot ${r}: ${p.scores[r]} vs ${w} by hand`));
      const rank = answers[i]! < C ? 1 + want.filter((w) => w > want[answers[i]!]!).length : Infinity; // ties count for the gold
      if (rank === 1) hits++;
      rr += 1 / rank;
    });
    assert.ok(Math.abs(metrics.test.top1 - hits / preds.length) < 1e-12, `top-1 ${metrics.test.top1} vs ${hits}/${preds.length} by hand`);
    assert.ok(rr > 0 && Math.abs(metrics.test.mrr - rr / preds.length) < 1e-6, `MRR ${metrics.test.mrr} vs ${rr / preds.length} by hand`);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'history.json'), 'utf8'))[0].epoch, 0);
  } finally {
    ds.close();
    fs.rmSync(out, { recursive: true, force: true });
  }
});
