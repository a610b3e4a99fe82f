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
  assert.deepEqual(s.mentions, { train: 1200, valid: 200, test: 240 });
  assert.equal(s.entities, 540);
  assert.ok(s.bytes < 5 * 1024 * 1024, `sample is ${s.bytes} bytes`);
  assert.ok(s.entityImages.missing > 0 && s.entityImages.tiny > 0 && s.entityImages.corrupt > 0);
  assert.ok(s.mentionsNotInSentence > 0 && s.goldAbsent > 0);
  assert.deepEqual(listFiles(out), listFiles(SAMPLE_RAW), 'file set differs from data/sample: run `npx drin make-sample`');
  for (const f of ['mentions/WIKIMEL_train.json', 'mentions/WIKIMEL_test.json', 'candidates/qid2ne.json', 'entities/qid2abs.json',
    'tokenizer/vocab.txt', 'tokenizer/tokenizer.json', 'README.md']) {
    assert.equal(fs.readFileSync(path.join(out, f), 'utf8'), fs.readFileSync(path.join(SAMPLE_RAW, f), 'utf8'), f);
  }
  assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /SYNTHETIC/);
  // only text and image together identify the gold: every name is shared by 3 entities whose
  // descriptions differ only in the emblem, and every candidate list is one 3 × 3 cluster (+ 1 outsider)
  const qid2ne = JSON.parse(fs.readFileSync(path.join(out, 'candidates/qid2ne.json'), 'utf8')) as Record<string, string>;
  const qid2abs = JSON.parse(fs.readFileSync(path.join(out, 'entities/qid2abs.json'), 'utf8')) as Record<string, string>;
  const byName = new Map<string, string[]>();
  for (const [q, n] of Object.entries(qid2ne)) byName.set(n, [...(byName.get(n) ?? []), q]);
  for (const [name, qs] of byName) {
    assert.equal(qs.length, 3, name);
    const bare = new Set(qs.map((q) => qid2abs[q].replace(/Emblem: [^.]*\./, '')));
    assert.equal(bare.size, 1, `${name}: descriptions differ beyond the emblem`);
    assert.equal(new Set(qs.map((q) => /Emblem: ([^.]*)\./.exec(qid2abs[q])![1])).size, 3, `${name}: emblems repeat`);
  }
  const tsv = fs.readFileSync(path.join(out, 'candidates/top100/candidates-answer.tsv'), 'utf8').trim().split('\n');
  assert.equal(tsv.length, 1200 + 200 + 240);
  const firstRow = tsv[0].split('\t');
  assert.equal(firstRow.length, 11);
  const names = firstRow.slice(1).map((q) => qid2ne[q]);
  assert.ok([...new Set(names)].filter((n) => names.filter((x) => x === n).length === 3).length >= 2, names.join(', '));
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
