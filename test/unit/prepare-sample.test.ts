// The synthetic sample generator (deterministic, matches the committed data/sample) and the worker-thread candidate path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSample, generateCandidates, checkImageFile, SAMPLE_RAW } from '../../src';

function listFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)]).sort();
}

test('generateSample is deterministic and reproduces the committed data/sample (texts, KB, tokenizer, file set)', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'drin-sample-'));
  const s = await generateSample(out);
  assert.deepEqual(s.mentions, { train: 240, valid: 60, test: 60 });
  assert.equal(s.entities, 300);
  assert.ok(s.bytes < 5 * 1024 * 1024, `sample is ${s.bytes} bytes`);
  assert.ok(s.entityImages.missing > 0 && s.entityImages.tiny > 0 && s.entityImages.corrupt > 0);
  assert.ok(s.mentionsNotInSentence > 0);
  assert.deepEqual(listFiles(out), listFiles(SAMPLE_RAW), 'file set differs from data/sample: run `npx drin make-sample`');
  for (const f of ['mentions/WIKIMEL_train.json', 'mentions/WIKIMEL_test.json', 'candidates/qid2ne.json', 'entities/qid2abs.json',
    'tokenizer/vocab.txt', 'tokenizer/tokenizer.json', 'README.md']) {
    assert.equal(fs.readFileSync(path.join(out, f), 'utf8'), fs.readFileSync(path.join(SAMPLE_RAW, f), 'utf8'), f);
  }
  assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /SYNTHETIC/);
  // names collide: some surname is shared by at least 10 entities
  const names = Object.values(JSON.parse(fs.readFileSync(path.join(out, 'candidates/qid2ne.json'), 'utf8'))) as string[];
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n.split(' ')[1], (counts.get(n.split(' ')[1]) ?? 0) + 1);
  assert.ok(Math.max(...counts.values()) >= 10);
  // a regular image is a valid 64x64 JPEG
  const train = JSON.parse(fs.readFileSync(path.join(out, 'mentions/WIKIMEL_train.json'), 'utf8'));
  assert.equal(await checkImageFile(path.join(out, 'mentions/KVQAimgs', (Object.values(train)[0] as { imgPath: string }).imgPath)), 'ok');
});

test('generateCandidates: worker threads (tsx bootstrap) give the same lists as the main thread', async () => {
  const kb = ['Anna Smith', 'Anna Smith (painter)', 'Bob Smith', 'José Müller', 'Zoë Kim', 'Smithson', 'Kim Anna', 'Bob'];
  const mentions = ['Smith', 'Anna', 'Zoë Kim', 'Kim', 'Smith', 'josé', 'B. Smith'];
  const a = await generateCandidates(mentions, kb, { k: 3, workers: 2, progress: false });
  const b = await generateCandidates(mentions, kb, { k: 3, workers: 0, progress: false });
  assert.equal(a.workers, 2);
  assert.equal(a.uniqueQueries, 6);
  assert.deepEqual(a.indices, b.indices);
  assert.deepEqual(a.scores, b.scores);
  assert.equal(kb[a.indices[2][0]], 'Zoë Kim');
});
