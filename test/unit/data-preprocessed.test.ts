import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readNpy, readNpyHeader, writeNpy, toInt32 } from '../../src/data/npy';
import {
  openPreprocessed, PreprocessedValidationError, preprocessedFileNames, PreprocessedDataset,
} from '../../src/data/preprocessed';
import { reduceEntityText } from '../../src/models/vertices';
import { needs } from '../helpers/needs';

const SHARED = path.resolve(__dirname, '../../../shared');
const FIX = path.join(SHARED, 'fixtures/preprocessed');
const skip = needs(fs.existsSync(FIX), '../shared absent: fixtures/preprocessed not found');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-pre-'));

const f32 = (t: tf.Tensor | number[]) => Array.from((t as tf.Tensor).dataSync());
const load = (layout: string, name: string) => readNpy(path.join(FIX, layout, name));

/** A copy of a fixture dir made of symlinks, so one file can be replaced. */
function linkCopy(layout: string, name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  for (const f of fs.readdirSync(path.join(FIX, layout))) fs.symlinkSync(path.join(FIX, layout, f), path.join(dir, f));
  return dir;
}
function replace(dir: string, file: string, arr: { data: any; shape: number[]; dtype?: any }): void {
  fs.rmSync(path.join(dir, file));
  writeNpy(path.join(dir, file), arr);
}
function problems(dir: string): string[] {
  try {
    openPreprocessed(dir, { cacheDir: path.join(tmp, 'cache-bad') }).close();
  } catch (e) {
    assert.ok(e instanceof PreprocessedValidationError, String(e));
    return e.problems;
  }
  assert.fail(`${dir} validated`);
}

test('file lists: 54 WikiDiverse files, 42 WikiMEL files, as in the fixtures', { skip }, () => {
  assert.equal(preprocessedFileNames('wikidiverse').length, 54);
  assert.equal(preprocessedFileNames('wikimel').length, 42);
  assert.deepEqual(preprocessedFileNames('wikidiverse'), fs.readdirSync(path.join(FIX, 'wikidiverse')).sort());
  assert.deepEqual(preprocessedFileNames('wikimel'), fs.readdirSync(path.join(FIX, 'wikimel')).sort());
});

test('validation summary of both fixture layouts', { skip }, () => {
  const wd = openPreprocessed(path.join(FIX, 'wikidiverse'));
  assert.equal(wd.layout, 'wikidiverse');
  assert.equal(wd.candidates, 10);
  assert.deepEqual(wd.splits.train, { split: 'train', mentions: 4, candidates: 10, goldAbsent: 1 });
  assert.match(wd.describe()[0], /^train: 4 mentions, 10 candidates \(\+ gold slot\), 1 gold absent; text 128x768, image 49x2048, 3 objects$/);
  wd.close();
  const mel = openPreprocessed(path.join(FIX, 'wikimel'));
  assert.equal(mel.layout, 'wikimel');
  assert.equal(mel.candidates, 100);
  assert.equal(mel.dims.entities, 30);
  assert.equal(mel.dims.entityTokens, 64);
  assert.equal(mel.splits.valid.mentions, 3);
  mel.close();
});

test('WikiDiverse DRIN batch equals the values in the files (reference loader semantics)', { skip }, async () => {
  const ds = openPreprocessed(path.join(FIX, 'wikidiverse'));
  const rows = [2, 0, 3];
  const host = await ds.drinHostBatch('train', rows);
  const t = host.tensors;
  const R = 11;
  const C = 10;
  const answer = toInt32(load('wikidiverse', 'answer_train.npy').data);
  const start = toInt32(load('wikidiverse', 'start-pos_train.npy').data);
  const mtf = load('wikidiverse', 'mention-text-feature_train.npy').data as Float32Array;
  const ent = load('wikidiverse', 'entity-attr-feature_train.npy').data as Float32Array;
  const eobj = load('wikidiverse', 'entity-object-feature_train.npy').data as Float32Array;
  const sim = load('wikidiverse', 'similarity-eimt_train.npy').data as Float32Array;
  assert.deepEqual(t.mention_text_feature.shape, [3, 128, 768]);
  assert.deepEqual(t.entity_text_feature.shape, [3, R, 768]);
  assert.deepEqual(t.entity_image_feature.shape, [3, R, 2048]);
  assert.deepEqual(t.entity_object_feature.shape, [3, R, 1, 2048]);
  assert.deepEqual(t.entity_object_score.shape, [3, R, 1]);
  assert.deepEqual(t.entity_text_mask.shape, [3]);
  rows.forEach((m, b) => {
    assert.equal(t.mention_start_pos.data[b], start[m] + 1, 'start + 1 for CLS');
    assert.equal(t.answer_index.data[b], answer[m]);
    const onehot = Array.from(t.answer_onehot.data.subarray(b * C, (b + 1) * C));
    assert.deepEqual(onehot, Array.from({ length: C }, (_, c) => (c === answer[m] ? 1 : 0)), 'one-hot, zeros when gold absent');
    assert.deepEqual(t.mention_text_feature.data.subarray(b * 128 * 768, (b + 1) * 128 * 768), mtf.subarray(m * 128 * 768, (m + 1) * 128 * 768));
    for (const r of [0, 5, R - 1]) {
      assert.deepEqual(t.entity_text_feature.data.subarray((b * R + r) * 768, (b * R + r + 1) * 768), ent.subarray((m * R + r) * 768, (m * R + r + 1) * 768));
      assert.deepEqual(t.entity_object_feature.data.subarray((b * R + r) * 2048, (b * R + r + 1) * 2048), eobj.subarray((m * R + r) * 2048, (m * R + r + 1) * 2048));
    }
    assert.deepEqual(t.mtei_similarity.data.subarray(b * R, (b + 1) * R), sim.subarray(m * R, (m + 1) * R), 'mtei_similarity = similarity-eimt');
  });
  assert.ok(rows.some((m) => answer[m] === C), 'the batch covers a gold-absent mention');
  ds.close();
});

test('WikiMEL DRIN batch maps candidate QIDs through qid2idx; reduced form equals the raw path', { skip }, async () => {
  const ds = openPreprocessed(path.join(FIX, 'wikimel'), { cacheDir: path.join(tmp, 'cache-mel'), reduceEntityText });
  const rows = [1, 3];
  const raw = await ds.drinHostBatch('train', rows, { entityText: 'raw' });
  const R = 101;
  const L = 64;
  const qid2idx = JSON.parse(fs.readFileSync(path.join(FIX, 'wikimel/qid2idx.json'), 'utf8'));
  const names = load('wikimel', 'entity-name-raw_train.npy').data as string[];
  const feat = load('wikimel', 'entity-attr-feature.npy').data as Float32Array;
  const mask = toInt32(load('wikimel', 'entity-attr-mask.npy').data);
  const img = load('wikimel', 'entity-image-feature_all.npy').data as Float32Array;
  const t = raw.tensors;
  assert.deepEqual(t.entity_text_feature.shape, [2, R, L, 768]);
  assert.deepEqual(t.entity_text_mask.shape, [2, R, L]);
  assert.deepEqual(t.entity_image_feature.shape, [2, R, 1, 2048]);
  assert.deepEqual(t.entity_object_feature.shape, [2, R, 1, 1, 2048]);
  rows.forEach((m, b) => {
    for (const r of [0, 17, R - 1]) {
      const e = qid2idx[names[m * R + r]];
      const at = b * R + r;
      assert.deepEqual(t.entity_text_feature.data.subarray(at * L * 768, (at + 1) * L * 768), feat.subarray(e * L * 768, (e + 1) * L * 768));
      assert.deepEqual(Array.from(t.entity_text_mask.data.subarray(at * L, (at + 1) * L)), Array.from(mask.subarray(e * L, (e + 1) * L)));
      assert.deepEqual(t.entity_image_feature.data.subarray(at * 2048, (at + 1) * 2048), img.subarray(e * 2048, (e + 1) * 2048));
    }
  });
  const red = await ds.drinHostBatch('train', rows, { entityText: 'reduced' });
  assert.ok(fs.existsSync(ds.reducedCachePath), 'derived cache written');
  assert.ok(!ds.reducedCachePath.startsWith(path.join(FIX)), 'cache never inside the input dir');
  assert.equal(red.tensors.entity_text_feature, undefined);
  const { pooled, cls } = reduceEntityText(
    tf.tensor(t.entity_text_feature.data, t.entity_text_feature.shape),
    tf.tensor(t.entity_text_mask.data, t.entity_text_mask.shape, 'int32'),
  );
  const maxDiff = (a: ArrayLike<number>, b: number[]) => b.reduce((m, v, i) => Math.max(m, Math.abs(v - a[i])), 0);
  assert.ok(maxDiff(red.tensors.entity_text_pooled.data, f32(pooled)) <= 1e-6, 'pooled equals reduceEntityText of the raw batch');
  assert.equal(maxDiff(red.tensors.entity_text_cls.data, f32(cls)), 0, 'cls is token 0');
  // and by hand for one slot: mean of tokens 1..n-2 of the entity's rows
  const e0 = qid2idx[names[rows[0] * R + 4]];
  let n = 0;
  for (let j = 0; j < L; j++) n += mask[e0 * L + j];
  const hand = Array.from({ length: 768 }, (_, d) => {
    let s = 0;
    for (let j = 1; j < n - 1; j++) s += feat[(e0 * L + j) * 768 + d];
    return s / (n - 2);
  });
  assert.ok(maxDiff(red.tensors.entity_text_pooled.data.subarray(4 * 768, 5 * 768), hand) < 1e-5, 'pooled = mean of tokens 1..n-2');
  assert.deepEqual(red.tensors.mention_text_feature.data, t.mention_text_feature.data);
  pooled.dispose();
  cls.dispose();
  ds.close();
});

test('epoch iteration: seeded shuffle of train, ordered valid, tensors + index, baseline batch_order', { skip }, async () => {
  const ds = openPreprocessed(path.join(FIX, 'wikidiverse'));
  const seen: number[] = [];
  for await (const b of ds.drinBatches('train', { batchSize: 3, seed: 7 })) {
    seen.push(...b.index);
    assert.equal((b.mention_text_feature as tf.Tensor).shape[0], b.index.length);
    assert.equal((b.mention_start_pos as tf.Tensor).dtype, 'int32');
    for (const v of Object.values(b)) if (v instanceof tf.Tensor) v.dispose();
  }
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
  assert.deepEqual(ds.order('train', { seed: 7 }), seen, 'same seed, same order');
  assert.deepEqual(ds.order('valid'), [0, 1, 2], 'valid is not shuffled');
  const orders = new Set([1, 2, 3, 4, 5, 6].map((s) => ds.order('train', { seed: s }).join()));
  assert.ok(orders.size > 1, 'different seeds give different orders');
  for (const [name, model] of [['ghmfc-wikidiverse-small', 'ghmfc'], ['melhi-wikidiverse-small', 'melhi']] as const) {
    const manifest = JSON.parse(fs.readFileSync(path.join(SHARED, 'fixtures/baselines', name, 'manifest.json'), 'utf8'));
    const host = await ds.baselineHostBatch('test', [0, 2], { model });
    assert.deepEqual(Object.keys(host.tensors).filter((k) => !k.startsWith('answer_')).sort(), [...manifest.batch_order].sort());
    const fixShapes = manifest.inputs as Record<string, { shape: number[] }>;
    for (const k of manifest.batch_order as string[]) assert.equal(host.tensors[k].shape.length, fixShapes[k].shape.length, `${name} ${k} rank`);
  }
  const drinManifest = JSON.parse(fs.readFileSync(path.join(SHARED, 'fixtures/drin/wikidiverse-small/manifest.json'), 'utf8'));
  const host = await ds.drinHostBatch('valid', [1]);
  assert.deepEqual(Object.keys(host.tensors).filter((k) => !k.startsWith('answer_')).sort(), [...drinManifest.batch_order].sort());
  ds.close();
});

test('bad directories: missing file, shape mismatch, truncated file, absent QID, empty mention span', { skip }, () => {
  const missing = linkCopy('wikimel', 'missing');
  fs.rmSync(path.join(missing, 'similarity-eimt_test.npy'));
  assert.deepEqual(problems(missing), ['missing 1 of the 42 files of the wikimel layout: similarity-eimt_test.npy']);

  const shape = linkCopy('wikidiverse', 'shape');
  replace(shape, 'similarity-miet_valid.npy', { data: new Float32Array(3 * 12), shape: [3, 12] });
  replace(shape, 'entity-image-feature_test.npy', { data: new Float32Array(32 * 2048), shape: [32, 1, 2048] });
  const p1 = problems(shape);
  assert.ok(p1.some((p) => p.startsWith('similarity-miet_valid.npy: shape (3, 12), expected (3, 11)')), p1.join('\n'));
  assert.ok(p1.some((p) => p.startsWith('entity-image-feature_test.npy: shape (32, 1, 2048), expected (33, 1, 2048) (M·R = 3·11 rows')), p1.join('\n'));

  const trunc = linkCopy('wikimel', 'trunc');
  const bytes = fs.readFileSync(path.join(FIX, 'wikimel/mention-object-feature_valid.npy'));
  fs.rmSync(path.join(trunc, 'mention-object-feature_valid.npy'));
  fs.writeFileSync(path.join(trunc, 'mention-object-feature_valid.npy'), bytes.subarray(0, bytes.length - 100));
  assert.match(problems(trunc)[0], /mention-object-feature_valid\.npy: truncated data: shape \(3, 3, 1, 2048\)/);

  const qid = linkCopy('wikimel', 'qid');
  const names = load('wikimel', 'entity-name-raw_test.npy').data as string[];
  names[205] = 'Q999999';
  replace(qid, 'entity-name-raw_test.npy', { data: names, shape: [names.length], dtype: 'U7' });
  assert.deepEqual(problems(qid), ['entity-name-raw_test.npy: 1 candidate QIDs are absent from qid2idx.json: Q999999 (mention 2, slot 3)']);

  const span = linkCopy('wikimel', 'span');
  const start = toInt32(load('wikimel', 'start-pos_valid.npy').data);
  const end = toInt32(load('wikimel', 'end-pos_valid.npy').data);
  end[1] = start[1];
  replace(span, 'end-pos_valid.npy', { data: new BigInt64Array(Array.from(end, BigInt)), shape: [3] });
  const text = (load('wikimel', 'mention-text-raw_valid.npy').data as string[])[1];
  const p2 = problems(span);
  assert.equal(p2.length, 1);
  assert.ok(p2[0].includes(`valid row 1 ("${text.slice(0, 20)}`), p2[0]);
  assert.match(p2[0], /empty mention span \(start == end == \d+\); the reference would average zero tokens \(NaN\)/);
});

test('the derived cache is reused, and rebuilt when the source changes', { skip }, async () => {
  const dir = linkCopy('wikimel', 'cache-reuse');
  const cacheDir = path.join(tmp, 'cache-reuse-out');
  let ds: PreprocessedDataset = openPreprocessed(dir, { cacheDir, reduceEntityText });
  await ds.ensureReducedCache();
  const t1 = fs.statSync(ds.reducedCachePath).mtimeMs;
  ds.close();
  ds = openPreprocessed(dir, { cacheDir, reduceEntityText });
  await ds.ensureReducedCache();
  assert.equal(fs.statSync(ds.reducedCachePath).mtimeMs, t1, 'reused');
  assert.deepEqual(readNpy(ds.reducedCachePath).shape, [30, 2, 768]);
  const old = Float32Array.from(readNpy(ds.reducedCachePath).data as Float32Array);
  ds.close();
  // the source changes (entity 0's token features doubled, in a real file replacing the link): rebuilt
  const src = path.join(dir, 'entity-attr-feature.npy');
  const bytes = Buffer.from(fs.readFileSync(src));
  const off = readNpyHeader(src).dataOffset;
  const feat = new Float32Array(bytes.buffer, bytes.byteOffset + off, 64 * 768);
  for (let i = 0; i < feat.length; i++) feat[i] *= 2;
  fs.rmSync(src);
  fs.writeFileSync(src, bytes);
  ds = openPreprocessed(dir, { cacheDir, reduceEntityText });
  await ds.ensureReducedCache();
  const now = readNpy(ds.reducedCachePath).data as Float32Array;
  ds.close();
  assert.ok(old.subarray(0, 2 * 768).some((x) => x !== 0), 'entity 0 has non-zero reductions');
  assert.ok(now.subarray(0, 2 * 768).every((x, i) => Math.abs(x - 2 * old[i]) <= 1e-6 * Math.max(1, Math.abs(x))), 'entity 0: pooled and CLS doubled');
  assert.deepEqual(now.subarray(2 * 768), old.subarray(2 * 768), 'other entities as before');
});
