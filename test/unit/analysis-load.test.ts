import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listPredictionRuns, loadAnalysisTextSide, loadPredictionsJsonl, readNpyStrings } from '../../src/analysis';
import { unicodeNpyBytes, writeSyntheticAnalysisData } from '../fixtures/analysis/synthetic';
import { lacks } from '../helpers/needs';

const SHARED_WIKIMEL = path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'preprocessed', 'wikimel');

test('loadPredictionsJsonl reads records and checks goldRank against answer', async () => {
  const d = await writeSyntheticAnalysisData();
  const preds = loadPredictionsJsonl(path.join(d.runs, 'tiny', 'drin', 'predictions_test.jsonl'));
  assert.equal(preds.length, 6);
  assert.deepEqual(preds.map((p) => p.goldRank), [1, 3, 1, 2, 1, null]);
  assert.equal(preds[5].answer, 4);
  assert.equal(preds[0].edges?.length, 3);
});

test('loadPredictionsJsonl names the file, the line and what was expected', () => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drin-bad-')), 'predictions_test.jsonl');
  fs.writeFileSync(f, '{"row":0,"answer":0,"goldRank":1,"top":[],"scores":[0.1,0.2]}\n{"row":1,"answer":2,"goldRank":1,"top":[],"scores":[0.1,0.2]}\n');
  assert.throws(() => loadPredictionsJsonl(f), (e: Error) => e.message.includes(`${f}:2`) && e.message.includes('goldRank'));
  fs.writeFileSync(f, '{"row":0,"answer":0,"goldRank":1,"top":[],"scores":"x"}\n');
  assert.throws(() => loadPredictionsJsonl(f), /:1: expected "scores" an array/);
  fs.writeFileSync(f, 'not json\n');
  assert.throws(() => loadPredictionsJsonl(f), /:1: not valid JSON/);
  assert.throws(() => loadPredictionsJsonl(f + '.missing'), /file not found/);
});

test('readNpyStrings decodes numpy unicode arrays (UTF-32, non-ASCII included)', () => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drin-npy-')), 's.npy');
  fs.writeFileSync(f, unicodeNpyBytes(['Q42', 'Zürich', '', '東京 🗼'], 8));
  const { values, shape } = readNpyStrings(f);
  assert.deepEqual(shape, [4]);
  assert.deepEqual(values, ['Q42', 'Zürich', '', '東京 🗼']);
});

test('readNpyStrings reads the shared preprocessed fixture', (t) => {
  if (lacks(t, fs.existsSync(SHARED_WIKIMEL), '../shared absent: fixtures/preprocessed/wikimel not found')) return;
  const m = readNpyStrings(path.join(SHARED_WIKIMEL, 'mention-text-raw_test.npy'));
  assert.deepEqual(m.shape, [3]);
  assert.equal(m.values[0], 'an a of as with Alpha Centauri is an a at');
  const e = readNpyStrings(path.join(SHARED_WIKIMEL, 'entity-name-raw_test.npy'));
  assert.deepEqual(e.shape, [303]);
  assert.deepEqual(e.values.slice(0, 2), ['Q91913', 'Q657426']);
  assert.throws(() => readNpyStrings(path.join(SHARED_WIKIMEL, 'answer_test.npy')), /expected a little-endian unicode array.*<i8/);
});

test('loadAnalysisTextSide joins prepared jsonl and raw strings, checking counts', async () => {
  const d = await writeSyntheticAnalysisData();
  const text = loadAnalysisTextSide({ dataset: 'tiny', preparedDir: d.prepared, preprocessedDir: path.join(d.root, 'none') });
  assert.equal(text.mentions.length, 6);
  assert.equal(text.entities.get('Q5')?.name, 'paris');
  assert.equal(text.mentionTextRaw, null);
  fs.writeFileSync(path.join(d.prepared, 'mention-text-raw_test.npy'), unicodeNpyBytes(['a', 'b', 'c', 'd', 'e', 'f'], 2));
  fs.writeFileSync(path.join(d.prepared, 'entity-name-raw_test.npy'), unicodeNpyBytes(Array.from({ length: 30 }, (_, i) => `Q${i}`), 4));
  fs.writeFileSync(path.join(d.prepared, 'qid2idx.json'), JSON.stringify({ Q1: 0 }));
  const t2 = loadAnalysisTextSide({ dataset: 'tiny', preparedDir: d.prepared });
  assert.deepEqual(t2.mentionTextRaw, ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.equal(t2.entityNameRaw?.length, 6);
  assert.deepEqual(t2.entityNameRaw?.[1], ['Q5', 'Q6', 'Q7', 'Q8', 'Q9']);
  assert.deepEqual(t2.qid2idx, { Q1: 0 });
  fs.writeFileSync(path.join(d.prepared, 'mention-text-raw_test.npy'), unicodeNpyBytes(['a'], 2));
  assert.throws(() => loadAnalysisTextSide({ dataset: 'tiny', preparedDir: d.prepared }), /1 strings, expected one per mention .* \(6\)/);
});

test('listPredictionRuns lists only runs that have the predictions file', async () => {
  const d = await writeSyntheticAnalysisData();
  const runs = listPredictionRuns({ dataset: 'tiny', runsDir: d.runs });
  assert.deepEqual([...runs.keys()], ['drin', 'ghmfc']);
  assert.equal(listPredictionRuns({ dataset: 'nothing', runsDir: d.runs }).size, 0);
});

test('loadAnalysisTextSide falls back to the release arrays when there is no prepare output', (t) => {
  if (!fs.existsSync(SHARED_WIKIMEL)) return t.skip('../shared absent: fixtures/preprocessed/wikimel not found');
  const text = loadAnalysisTextSide({ dataset: 'wikimel', split: 'test', preparedDir: path.join(os.tmpdir(), 'no-such-prepared'),
    preprocessedDir: SHARED_WIKIMEL });
  assert.equal(text.mentions.length, 3);
  assert.equal(text.mentions[0].sentence, 'an a of as with Alpha Centauri is an a at');
  assert.equal(text.mentions[0].candidates.length, 100);
  assert.equal(text.mentions[0].candidates[0], 'Q91913');
  assert.equal(text.mentions[0].goldQid, text.entityNameRaw![0][100]);
  assert.equal(text.entities.get('Q91913')?.name, 'Q91913');
  assert.match(text.sources[0], /release arrays/);
});
